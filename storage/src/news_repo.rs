//! News articles: newest first, lookups, batch inserts.

use crate::entity::news_article;
use crate::event_repo::{publication_of, set_publication};
use crate::filter::{ContentColumns, after_position, has_any_term, visible};
use crate::write::{CONTENT_BATCH, Links, insert_rows};
use crate::{Store, internal};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use silo_domain::DomainError;
use silo_domain::content::SiteTargets;
use silo_domain::news::{NewsArticle, NewsFields};
use silo_domain::query::NewsFilter;
use silo_domain::site::SiteScope;
use uuid::Uuid;

const COLUMNS: ContentColumns<news_article::Column> = ContentColumns {
    id: news_article::Column::Id,
    department_id: news_article::Column::DepartmentId,
    all_sites: news_article::Column::AllSites,
    status: news_article::Column::Status,
};

/// Position in the news order: (published at, id), both descending.
pub type NewsKey = (DateTime<Utc>, Uuid);

impl Store {
    /// A page of visible news, newest first, after `after`.
    pub async fn news_page(
        &self,
        filter: &NewsFilter,
        scope: Option<&SiteScope>,
        after: Option<NewsKey>,
        limit: usize,
    ) -> Result<Vec<NewsArticle>, DomainError> {
        let mut cond = visible(&COLUMNS, scope);
        if !filter.tag_ids.is_empty() {
            cond = cond.add(has_any_term(news_article::Column::Id, &filter.tag_ids));
        }
        if !filter.department_ids.is_empty() {
            cond = cond.add(
                news_article::Column::DepartmentId.is_in(filter.department_ids.iter().copied()),
            );
        }
        if let Some(featured) = filter.featured {
            cond = cond.add(news_article::Column::Featured.eq(featured));
        }
        if let Some((at, id)) = after {
            cond = cond.add(after_position(
                news_article::Column::PublishedAt,
                news_article::Column::Id,
                at,
                id,
                true,
            ));
        }
        let rows = news_article::Entity::find()
            .filter(cond)
            .order_by_desc(news_article::Column::PublishedAt)
            .order_by_desc(news_article::Column::Id)
            .limit(limit as u64)
            .all(&self.db)
            .await
            .map_err(internal)?;
        rows.into_iter().map(to_news).collect()
    }

    /// A visible news article by slug.
    pub async fn news_article(
        &self,
        slug: &str,
        scope: Option<&SiteScope>,
    ) -> Result<Option<NewsArticle>, DomainError> {
        let row = news_article::Entity::find()
            .filter(visible(&COLUMNS, scope).add(news_article::Column::Slug.eq(slug)))
            .one(&self.db)
            .await
            .map_err(internal)?;
        row.map(to_news).transpose()
    }

    pub async fn insert_news(&self, items: &[NewsArticle]) -> Result<(), DomainError> {
        let mut links = Links::default();
        for n in items {
            links.add(
                n.id,
                n.fields.category_ids.iter().chain(&n.fields.tag_ids),
                &n.fields.sites,
            );
        }
        let txn = self.db.begin().await.map_err(internal)?;
        insert_rows(&txn, items.iter().map(to_active), CONTENT_BATCH).await?;
        links.insert(&txn).await?;
        txn.commit().await.map_err(internal)
    }
}

pub(crate) fn to_news(m: news_article::Model) -> Result<NewsArticle, DomainError> {
    let publication = publication_of!(m);
    Ok(NewsArticle {
        id: m.id,
        publication,
        fields: NewsFields {
            slug: m.slug,
            department_id: m.department_id,
            title: m.title,
            summary: m.summary,
            body_markdown: m.body_markdown,
            body_html: m.body_html,
            image_url: m.image_url,
            image_alt: m.image_alt,
            featured: m.featured,
            category_ids: Vec::new(),
            tag_ids: Vec::new(),
            sites: if m.all_sites {
                SiteTargets::All
            } else {
                SiteTargets::Only(Vec::new())
            },
        },
    })
}

pub(crate) fn to_active(n: &NewsArticle) -> news_article::ActiveModel {
    let f = &n.fields;
    let mut am = news_article::ActiveModel {
        id: Set(n.id),
        slug: Set(f.slug.clone()),
        department_id: Set(f.department_id),
        title: Set(f.title.clone()),
        summary: Set(f.summary.clone()),
        body_markdown: Set(f.body_markdown.clone()),
        body_html: Set(f.body_html.clone()),
        image_url: Set(f.image_url.clone()),
        image_alt: Set(f.image_alt.clone()),
        featured: Set(f.featured),
        all_sites: Set(matches!(f.sites, SiteTargets::All)),
        ..Default::default()
    };
    set_publication!(am, &n.publication);
    am
}
