//! SQL conditions shared by every content kind: published only, site scope, taxonomy,
//! geographic radius. Written with sea-query so they run on both backends.

use crate::entity::{content_site, content_term, place};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SimpleExpr};
use sea_orm::{ColumnTrait, Condition};
use silo_domain::query::Near;
use silo_domain::site::SiteScope;
use uuid::Uuid;

/// The id, department and "all sites" columns of a content table.
pub(crate) struct ContentColumns<C: ColumnTrait> {
    pub id: C,
    pub department_id: C,
    pub all_sites: C,
    pub status: C,
}

/// `id` carries at least one of `term_ids`.
pub(crate) fn has_any_term(id: impl ColumnTrait, term_ids: &[Uuid]) -> SimpleExpr {
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(content_term::Entity)
            .and_where(
                content_term::Column::ContentId
                    .into_expr()
                    .equals(id.as_column_ref()),
            )
            .and_where(content_term::Column::TermId.is_in(term_ids.iter().copied()))
            .to_owned(),
    )
}

/// The item's place lies within the radius: a bounding box an index can use, then the
/// equirectangular distance (accurate at city scale, plain arithmetic on every backend).
pub(crate) fn place_near(place_id: impl ColumnTrait, near: &Near) -> SimpleExpr {
    let (dlat, dlon) = near.bounding_box();
    let (lat, lon) = (near.center.latitude, near.center.longitude);
    let cos = lat.to_radians().cos();
    let r_deg = near.radius_km / 111.32;
    place_id.in_subquery(
        Query::select()
            .column(place::Column::Id)
            .from(place::Entity)
            .and_where(place::Column::Latitude.between(lat - dlat, lat + dlat))
            .and_where(place::Column::Longitude.between(lon - dlon, lon + dlon))
            .and_where(
                squared(place::Column::Latitude.into_expr().sub(lat))
                    .add(squared(
                        place::Column::Longitude.into_expr().sub(lon).mul(cos),
                    ))
                    .lte(r_deg * r_deg),
            )
            .to_owned(),
    )
}

/// `e * e`, in SQL.
fn squared(e: SimpleExpr) -> SimpleExpr {
    e.clone().mul(e)
}

/// Published items only: what anonymous and site-key callers may read.
pub(crate) fn published<C: ColumnTrait>(cols: &ContentColumns<C>) -> SimpleExpr {
    cols.status
        .eq(silo_domain::content::ContentStatus::Published.as_str())
}

/// The item belongs to the site: targeted at it (or at every site) and inside its channel.
pub(crate) fn in_scope<C: ColumnTrait>(cols: &ContentColumns<C>, scope: &SiteScope) -> Condition {
    let targeted = Condition::any()
        .add(cols.all_sites.eq(true))
        .add(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(content_site::Entity)
                .and_where(
                    content_site::Column::ContentId
                        .into_expr()
                        .equals(cols.id.as_column_ref()),
                )
                .and_where(content_site::Column::SiteId.eq(scope.site_id))
                .to_owned(),
        ));
    let mut cond = Condition::all().add(targeted);
    if !scope.department_ids.is_empty() {
        cond = cond.add(
            cols.department_id
                .is_in(scope.department_ids.iter().copied()),
        );
    }
    if !scope.category_ids.is_empty() {
        cond = cond.add(has_any_term(cols.id, &scope.category_ids));
    }
    if !scope.tag_ids.is_empty() {
        cond = cond.add(has_any_term(cols.id, &scope.tag_ids));
    }
    cond
}

/// The published items of a list, narrowed to the site when there is one.
pub(crate) fn visible<C: ColumnTrait>(
    cols: &ContentColumns<C>,
    scope: Option<&SiteScope>,
) -> Condition {
    let cond = Condition::all().add(published(cols));
    match scope {
        Some(scope) => cond.add(in_scope(cols, scope)),
        None => cond,
    }
}

/// Rows past the cursor position `(value, last_id)` in `(sort, id)` order: ascending, or
/// descending when `descending` (keyset paging, stable under inserts).
pub(crate) fn after_position<C: ColumnTrait>(
    sort: C,
    id: C,
    value: impl Into<sea_orm::Value>,
    last_id: Uuid,
    descending: bool,
) -> Condition {
    let value = value.into();
    let (past_sort, past_id) = if descending {
        (sort.lt(value.clone()), id.lt(last_id))
    } else {
        (sort.gt(value.clone()), id.gt(last_id))
    };
    Condition::any()
        .add(past_sort)
        .add(Condition::all().add(sort.eq(value)).add(past_id))
}
