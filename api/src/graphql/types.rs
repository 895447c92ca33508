//! GraphQL object types: thin views over the domain's stored content.

use super::error::gql;
use super::loader::{Loaders, load_error};
use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject, Union};
use chrono::{DateTime, Utc};
use silo_domain::association::Association;
use silo_domain::content::{ContentKind, Term, TermKind};
use silo_domain::department::Department;
use silo_domain::event::{self as ev, Event, Occurrence, Organizer};
use silo_domain::news::NewsArticle;
use silo_domain::opening_hours::OpeningHours;
use silo_domain::place::Place;
use silo_domain::public_service::{self as ps, PublicService};
use silo_domain::site::Site;
use silo_storage::Store;
use uuid::Uuid;

fn loaders<'a>(ctx: &Context<'a>) -> &'a Loaders {
    ctx.data_unchecked::<Loaders>()
}

async fn place(ctx: &Context<'_>, id: Option<Uuid>) -> Result<Option<PlaceNode>> {
    let Some(id) = id else { return Ok(None) };
    Ok(loaders(ctx)
        .places
        .load_one(id)
        .await
        .map_err(load_error)?
        .map(PlaceNode))
}

async fn department(ctx: &Context<'_>, id: Uuid) -> Result<Option<DepartmentNode>> {
    Ok(loaders(ctx)
        .departments
        .load_one(id)
        .await
        .map_err(load_error)?
        .map(DepartmentNode))
}

async fn terms(ctx: &Context<'_>, content_id: Uuid, kind: TermKind) -> Result<Vec<TermNode>> {
    let all = loaders(ctx)
        .terms
        .load_one(content_id)
        .await
        .map_err(load_error)?
        .unwrap_or_default();
    Ok(all
        .into_iter()
        .filter(|t| t.kind == kind)
        .map(TermNode)
        .collect())
}

/// An event status, as schema.org and iCalendar know it.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum EventStatus {
    /// Takes place as announced.
    Scheduled,
    /// Moved to a new date (the dates shown are the new ones).
    Rescheduled,
    /// Put off to a date not known yet.
    Postponed,
    /// Will not take place.
    Cancelled,
    /// Takes place online instead of in person.
    MovedOnline,
    /// Takes place, but no seats are left.
    Full,
}

impl From<ev::EventStatus> for EventStatus {
    fn from(s: ev::EventStatus) -> Self {
        match s {
            ev::EventStatus::Scheduled => Self::Scheduled,
            ev::EventStatus::Rescheduled => Self::Rescheduled,
            ev::EventStatus::Postponed => Self::Postponed,
            ev::EventStatus::Cancelled => Self::Cancelled,
            ev::EventStatus::MovedOnline => Self::MovedOnline,
            ev::EventStatus::Full => Self::Full,
        }
    }
}

impl From<EventStatus> for ev::EventStatus {
    fn from(s: EventStatus) -> Self {
        match s {
            EventStatus::Scheduled => Self::Scheduled,
            EventStatus::Rescheduled => Self::Rescheduled,
            EventStatus::Postponed => Self::Postponed,
            EventStatus::Cancelled => Self::Cancelled,
            EventStatus::MovedOnline => Self::MovedOnline,
            EventStatus::Full => Self::Full,
        }
    }
}

/// Whether people attend in person, online, or either.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum AttendanceMode {
    /// In person.
    Offline,
    /// Online only.
    Online,
    /// In person and online.
    Mixed,
}

/// A disability an event is accessible for.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum AccessibilityFlag {
    /// Accessible in a wheelchair.
    Wheelchair,
    /// Adapted for deaf and hard-of-hearing people.
    Hearing,
    /// Adapted for blind and partially sighted people.
    Visual,
    /// Adapted for people with mental or cognitive disabilities.
    Mental,
}

/// What sort of public service it is.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ServiceKind {
    /// A counter where citizens are received.
    Office,
    /// A facility open to the public (library, pool…).
    Facility,
    /// A procedure done online.
    OnlineProcedure,
}

impl From<ServiceKind> for ps::ServiceKind {
    fn from(k: ServiceKind) -> Self {
        match k {
            ServiceKind::Office => Self::Office,
            ServiceKind::Facility => Self::Facility,
            ServiceKind::OnlineProcedure => Self::OnlineProcedure,
        }
    }
}

/// Which disabilities an event is accessible for.
#[derive(SimpleObject)]
#[graphql(name = "Accessibility")]
pub struct AccessibilityNode {
    /// Accessible in a wheelchair.
    pub wheelchair: bool,
    /// Adapted for deaf and hard-of-hearing people.
    pub hearing: bool,
    /// Adapted for blind and partially sighted people.
    pub visual: bool,
    /// Adapted for people with mental or cognitive disabilities.
    pub mental: bool,
}

/// Ages an event is meant for; either bound may be open.
#[derive(SimpleObject)]
#[graphql(name = "AgeRange")]
pub struct AgeRangeNode {
    /// Youngest age, in years (null: no minimum).
    pub min: Option<i32>,
    /// Oldest age, in years (null: no maximum).
    pub max: Option<i32>,
}

/// An image and its alternative text.
#[derive(SimpleObject)]
pub struct Image {
    /// Where the image is served.
    pub url: String,
    /// Text read to those who cannot see the image.
    pub alt: Option<String>,
}

/// How a recurring event repeats.
#[derive(SimpleObject)]
#[graphql(name = "Recurrence")]
pub struct RecurrenceNode {
    /// The RRULE (RFC 5545) without DTSTART, e.g. `FREQ=WEEKLY;BYDAY=SA`.
    pub rule: String,
    /// Starts of occurrences that do not take place.
    pub exception_dates: Vec<DateTime<Utc>>,
}

/// A location.
pub struct PlaceNode(pub Place);

#[Object(name = "Place")]
impl PlaceNode {
    /// Stable identifier (UUID).
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Incremented by every save; updates must name the version they were based on.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Display name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Street and number.
    async fn street_address(&self) -> Option<&str> {
        self.0.street_address.as_deref()
    }
    /// Five-digit French postal code.
    async fn postal_code(&self) -> Option<&str> {
        self.0.postal_code.as_deref()
    }
    /// Town or city.
    async fn city(&self) -> &str {
        &self.0.city
    }
    /// WGS84 latitude in degrees.
    async fn latitude(&self) -> Option<f64> {
        self.0.latitude
    }
    /// WGS84 longitude in degrees.
    async fn longitude(&self) -> Option<f64> {
        self.0.longitude
    }
}

/// A municipal department (culture, sports, libraries…).
pub struct DepartmentNode(pub Department);

#[Object(name = "Department")]
impl DepartmentNode {
    /// Stable identifier (UUID).
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Incremented by every save; updates must name the version they were based on.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Whether publishing needs a second person.
    async fn review_policy(&self) -> super::inputs::ReviewPolicy {
        self.0.review_policy.into()
    }
    /// URL-safe identifier, unique among items of this kind.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// Display name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The department above this one, if any.
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<DepartmentNode>> {
        match self.0.parent_id {
            Some(id) => department(ctx, id).await,
            None => Ok(None),
        }
    }
    /// IANA time zone in which the department's dates are shown.
    async fn time_zone(&self) -> &str {
        &self.0.time_zone
    }
}

/// A category or a tag.
pub struct TermNode(pub Term);

#[Object(name = "Term")]
impl TermNode {
    /// Stable identifier (UUID).
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Incremented by every save; updates must name the version they were based on.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Category or tag.
    async fn kind(&self) -> super::inputs::TermKind {
        self.0.kind.into()
    }
    /// URL-safe identifier, unique among items of this kind.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// Display name.
    async fn name(&self) -> &str {
        &self.0.name
    }
}

/// Editorial bookkeeping: workflow state, version (send it back as `expectedVersion`),
/// and who changed the item when; with the owning department, whose time zone shows the
/// schedule.
pub struct PublicationNode(pub silo_domain::content::Publication, pub Uuid);

impl PublicationNode {
    /// `at` on the department's wall clock, with its offset.
    async fn local(&self, ctx: &Context<'_>, at: Option<DateTime<Utc>>) -> Result<Option<String>> {
        let Some(at) = at else { return Ok(None) };
        let zone = department(ctx, self.1)
            .await?
            .and_then(|d| d.0.time_zone.parse::<chrono_tz::Tz>().ok())
            .unwrap_or(chrono_tz::Europe::Paris);
        Ok(Some(at.with_timezone(&zone).to_rfc3339()))
    }
}

#[Object(name = "Publication")]
impl PublicationNode {
    async fn status(&self) -> super::inputs::ContentStatus {
        self.0.status.into()
    }
    /// Incremented by every save; updates must name the version they were based on.
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn publish_at(&self) -> Option<DateTime<Utc>> {
        self.0.publish_at
    }
    async fn unpublish_at(&self) -> Option<DateTime<Utc>> {
        self.0.unpublish_at
    }
    /// `publishAt` in the department's time zone (`2026-03-29T09:00:00+02:00`).
    async fn publish_at_local(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        self.local(ctx, self.0.publish_at).await
    }
    /// `unpublishAt` in the department's time zone.
    async fn unpublish_at_local(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        self.local(ctx, self.0.unpublish_at).await
    }
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The author's user id; null for callers who are not signed in.
    async fn created_by(&self, ctx: &Context<'_>) -> Option<ID> {
        staff_only(ctx, self.0.created_by)
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// The last editor's user id; null for callers who are not signed in.
    async fn updated_by(&self, ctx: &Context<'_>) -> Option<ID> {
        staff_only(ctx, self.0.updated_by)
    }
}

/// Staff identities are for signed-in users only.
fn staff_only(ctx: &Context<'_>, user: Option<Uuid>) -> Option<ID> {
    let signed_in = matches!(
        ctx.data_unchecked::<super::RequestContext>().principal,
        silo_domain::rights::Principal::User(_)
    );
    user.filter(|_| signed_in).map(|u| ID(u.to_string()))
}

/// Who organizes an event.
#[derive(Union)]
pub enum OrganizerNode {
    /// An association of the directory.
    Association(Box<AssociationNode>),
    /// A city department.
    Department(DepartmentNode),
}

/// An event of the agenda.
pub struct EventNode(pub std::sync::Arc<Event>);

#[Object(name = "Event")]
impl EventNode {
    /// Stable identifier (UUID).
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// URL-safe identifier, unique among items of this kind.
    async fn slug(&self) -> &str {
        &self.0.fields.slug
    }
    /// Workflow state and version.
    async fn publication(&self) -> PublicationNode {
        PublicationNode(self.0.publication.clone(), self.0.fields.department_id)
    }
    /// Headline.
    async fn title(&self) -> &str {
        &self.0.fields.title
    }
    /// One or two sentences for lists and cards.
    async fn summary(&self) -> Option<&str> {
        self.0.fields.summary.as_deref()
    }
    /// The description in Markdown, as written.
    async fn body(&self) -> &str {
        &self.0.fields.body_markdown
    }
    /// The description rendered to sanitized HTML.
    async fn body_html(&self) -> &str {
        &self.0.fields.body_html
    }
    /// Start of the first occurrence.
    async fn starts_at(&self) -> DateTime<Utc> {
        self.0.fields.starts_at
    }
    /// End of the first occurrence.
    async fn ends_at(&self) -> DateTime<Utc> {
        self.0.fields.ends_at
    }
    /// IANA time zone of the event's local times.
    async fn time_zone(&self) -> &str {
        &self.0.fields.time_zone
    }
    /// Whether the event lasts whole days (then times are local midnights).
    async fn all_day(&self) -> bool {
        self.0.fields.all_day
    }
    /// How the event repeats; null for a single event.
    async fn recurrence(&self) -> Option<RecurrenceNode> {
        self.0.fields.recurrence.as_ref().map(|r| RecurrenceNode {
            rule: r.rule.clone(),
            exception_dates: r.exception_dates.clone(),
        })
    }
    /// The event's own status (cancelled, postponed…); cancelled events stay listed.
    async fn status(&self) -> EventStatus {
        self.0.fields.event_status.into()
    }
    /// In person, online, or both.
    async fn attendance_mode(&self) -> AttendanceMode {
        match self.0.fields.attendance_mode {
            ev::AttendanceMode::Offline => AttendanceMode::Offline,
            ev::AttendanceMode::Online => AttendanceMode::Online,
            ev::AttendanceMode::Mixed => AttendanceMode::Mixed,
        }
    }
    /// Where to attend online.
    async fn online_url(&self) -> Option<&str> {
        self.0.fields.online_url.as_deref()
    }
    /// Whether attendance is free of charge.
    async fn free(&self) -> bool {
        self.0.fields.free
    }
    /// Price as displayed ("5 € / 3 € tarif réduit").
    async fn price(&self) -> Option<&str> {
        self.0.fields.price.as_deref()
    }
    /// Where to register or book.
    async fn registration_url(&self) -> Option<&str> {
        self.0.fields.registration_url.as_deref()
    }
    /// Ages the event is meant for.
    async fn age_range(&self) -> AgeRangeNode {
        let r = self.0.fields.age_range;
        AgeRangeNode {
            min: r.min.map(i32::from),
            max: r.max.map(i32::from),
        }
    }
    /// Disabilities the event is accessible for.
    async fn accessibility(&self) -> AccessibilityNode {
        let a = self.0.fields.accessibility;
        AccessibilityNode {
            wheelchair: a.wheelchair,
            hearing: a.hearing,
            visual: a.visual,
            mental: a.mental,
        }
    }
    /// Illustration and its alternative text.
    async fn image(&self) -> Option<Image> {
        self.0.fields.image_url.as_ref().map(|url| Image {
            url: url.clone(),
            alt: self.0.fields.image_alt.clone(),
        })
    }
    /// Contact email address.
    async fn contact_email(&self) -> Option<&str> {
        self.0.fields.contact_email.as_deref()
    }
    /// Contact phone number (E.164).
    async fn contact_phone(&self) -> Option<&str> {
        self.0.fields.contact_phone.as_deref()
    }
    /// Where it takes place.
    async fn place(&self, ctx: &Context<'_>) -> Result<Option<PlaceNode>> {
        place(ctx, self.0.fields.place_id).await
    }
    /// The department that owns the event.
    async fn department(&self, ctx: &Context<'_>) -> Result<Option<DepartmentNode>> {
        department(ctx, self.0.fields.department_id).await
    }
    /// Who organizes it: an association of the directory or a department.
    async fn organizer(&self, ctx: &Context<'_>) -> Result<Option<OrganizerNode>> {
        match self.0.fields.organizer {
            Some(Organizer::Association(id)) => {
                super::trail::item(ctx, ContentKind::Association, id);
                Ok(loaders(ctx)
                    .associations
                    .load_one(id)
                    .await
                    .map_err(load_error)?
                    .map(|a| OrganizerNode::Association(Box::new(AssociationNode(a)))))
            }
            Some(Organizer::Department(id)) => {
                Ok(department(ctx, id).await?.map(OrganizerNode::Department))
            }
            None => Ok(None),
        }
    }
    /// Categories, by name.
    async fn categories(&self, ctx: &Context<'_>) -> Result<Vec<TermNode>> {
        terms(ctx, self.0.id, TermKind::Category).await
    }
    /// Free tags, by name.
    async fn tags(&self, ctx: &Context<'_>) -> Result<Vec<TermNode>> {
        terms(ctx, self.0.id, TermKind::Tag).await
    }
    /// The event's occurrences starting in `[from, to)` (default: from now, one year),
    /// at most `first` (default 20, at most 100).
    async fn occurrences(
        &self,
        ctx: &Context<'_>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        first: Option<i32>,
    ) -> Result<Vec<OccurrenceNode>> {
        let limit = silo_domain::query::page_size(first, "first").map_err(gql)?;
        let filter = silo_domain::query::EventFilter {
            from,
            to,
            ..Default::default()
        };
        let now = Utc::now();
        let (from, to) = filter.window(now).map_err(gql)?;
        let store = ctx.data_unchecked::<Store>();
        let rows = store
            .event_occurrences(self.0.id, from, to, limit + 1)
            .await
            .map_err(gql)?;
        if filter.from.is_none() && super::trail::recording(ctx) {
            let first = rows.first().map(|o| o.starts_at);
            let boundary =
                super::agenda::moving_window(now, &filter, first, rows.len() > limit, |beyond| {
                    let (from, to) = beyond.window(now).unwrap_or((now, now));
                    store.event_occurrences(self.0.id, from, to, 1)
                })
                .await?;
            super::trail::until(ctx, boundary);
        }
        Ok(rows
            .into_iter()
            .take(limit)
            .map(|o| OccurrenceNode {
                occurrence: o,
                event: None,
            })
            .collect())
    }
}

/// One dated occurrence of an event: a weekly market has one per week.
pub struct OccurrenceNode {
    pub occurrence: Occurrence,
    /// The event, when the list already fetched it.
    pub event: Option<std::sync::Arc<Event>>,
}

#[Object(name = "Occurrence")]
impl OccurrenceNode {
    /// Stable identifier (UUID).
    async fn id(&self) -> ID {
        ID(self.occurrence.id.to_string())
    }
    /// Start instant (UTC).
    async fn starts_at(&self) -> DateTime<Utc> {
        self.occurrence.starts_at
    }
    /// End instant (UTC).
    async fn ends_at(&self) -> DateTime<Utc> {
        self.occurrence.ends_at
    }
    /// The event this is an occurrence of.
    async fn event(&self, ctx: &Context<'_>) -> Result<Option<EventNode>> {
        if let Some(event) = &self.event {
            return Ok(Some(EventNode(event.clone())));
        }
        let store = ctx.data_unchecked::<Store>();
        let scope = ctx.data_unchecked::<super::RequestContext>().scope.as_ref();
        super::trail::item(ctx, ContentKind::Event, self.occurrence.event_id);
        Ok(store
            .event(Some(self.occurrence.event_id), None, scope)
            .await
            .map_err(gql)?
            .map(|e| EventNode(std::sync::Arc::new(e))))
    }
}

/// An association of the directory.
pub struct AssociationNode(pub Association);

#[Object(name = "Association")]
impl AssociationNode {
    /// Stable identifier (UUID).
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// URL-safe identifier, unique among items of this kind.
    async fn slug(&self) -> &str {
        &self.0.fields.slug
    }
    /// Workflow state and version.
    async fn publication(&self) -> PublicationNode {
        PublicationNode(self.0.publication.clone(), self.0.fields.department_id)
    }
    /// Display name.
    async fn name(&self) -> &str {
        &self.0.fields.name
    }
    /// Number in the national associations register (`W` + 9 digits).
    async fn rna(&self) -> Option<&str> {
        self.0.fields.rna.as_deref()
    }
    /// SIRET establishment number.
    async fn siret(&self) -> Option<&str> {
        self.0.fields.siret.as_deref()
    }
    /// What the association does.
    async fn purpose(&self) -> Option<&str> {
        self.0.fields.purpose.as_deref()
    }
    /// Contact email address.
    async fn email(&self) -> Option<&str> {
        self.0.fields.email.as_deref()
    }
    /// Contact phone number (E.164).
    async fn phone(&self) -> Option<&str> {
        self.0.fields.phone.as_deref()
    }
    /// Website.
    async fn website(&self) -> Option<&str> {
        self.0.fields.website.as_deref()
    }
    /// Social network pages.
    async fn social_links(&self) -> &[String] {
        &self.0.fields.social_links
    }
    /// Logo image URL.
    async fn logo_url(&self) -> Option<&str> {
        self.0.fields.logo_url.as_deref()
    }
    /// Where it takes place.
    async fn place(&self, ctx: &Context<'_>) -> Result<Option<PlaceNode>> {
        place(ctx, self.0.fields.place_id).await
    }
    /// The department that owns it.
    async fn department(&self, ctx: &Context<'_>) -> Result<Option<DepartmentNode>> {
        department(ctx, self.0.fields.department_id).await
    }
    /// Categories, by name.
    async fn categories(&self, ctx: &Context<'_>) -> Result<Vec<TermNode>> {
        terms(ctx, self.0.id, TermKind::Category).await
    }
}

/// A news article.
pub struct NewsArticleNode(pub NewsArticle);

#[Object(name = "NewsArticle")]
impl NewsArticleNode {
    /// Stable identifier (UUID).
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// URL-safe identifier, unique among items of this kind.
    async fn slug(&self) -> &str {
        &self.0.fields.slug
    }
    /// Workflow state and version.
    async fn publication(&self) -> PublicationNode {
        PublicationNode(self.0.publication.clone(), self.0.fields.department_id)
    }
    /// Headline.
    async fn title(&self) -> &str {
        &self.0.fields.title
    }
    /// One or two sentences for lists and cards.
    async fn summary(&self) -> Option<&str> {
        self.0.fields.summary.as_deref()
    }
    /// The article in Markdown, as written.
    async fn body(&self) -> &str {
        &self.0.fields.body_markdown
    }
    /// The article rendered to sanitized HTML.
    async fn body_html(&self) -> &str {
        &self.0.fields.body_html
    }
    /// Illustration and its alternative text.
    async fn image(&self) -> Option<Image> {
        self.0.fields.image_url.as_ref().map(|url| Image {
            url: url.clone(),
            alt: self.0.fields.image_alt.clone(),
        })
    }
    /// Whether the article is put forward on homepages.
    async fn featured(&self) -> bool {
        self.0.fields.featured
    }
    /// When it was published.
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.publication.published_at
    }
    /// The department that owns it.
    async fn department(&self, ctx: &Context<'_>) -> Result<Option<DepartmentNode>> {
        department(ctx, self.0.fields.department_id).await
    }
    /// Categories, by name.
    async fn categories(&self, ctx: &Context<'_>) -> Result<Vec<TermNode>> {
        terms(ctx, self.0.id, TermKind::Category).await
    }
    /// Free tags, by name.
    async fn tags(&self, ctx: &Context<'_>) -> Result<Vec<TermNode>> {
        terms(ctx, self.0.id, TermKind::Tag).await
    }
}

/// An office, a facility or an online procedure.
pub struct PublicServiceNode(pub PublicService);

impl PublicServiceNode {
    /// When the service next opens or closes: an answer saying whether it is open is true
    /// until then (and is checked again daily when nothing changes within a year).
    fn until_next_change(&self, ctx: &Context<'_>) -> Option<DateTime<Utc>> {
        let now = Utc::now();
        let next = self.hours().and_then(|h| h.next_change(now, self.tz()));
        super::trail::until(ctx, next.unwrap_or(now + chrono::Duration::days(1)));
        next
    }

    fn hours(&self) -> Option<OpeningHours> {
        self.0
            .fields
            .opening_hours
            .as_deref()
            .and_then(|raw| OpeningHours::parse(raw).ok())
    }

    fn tz(&self) -> chrono_tz::Tz {
        self.0
            .fields
            .time_zone
            .parse()
            .unwrap_or(chrono_tz::Europe::Paris)
    }
}

#[Object(name = "PublicService")]
impl PublicServiceNode {
    /// Stable identifier (UUID).
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// URL-safe identifier, unique among items of this kind.
    async fn slug(&self) -> &str {
        &self.0.fields.slug
    }
    /// Workflow state and version.
    async fn publication(&self) -> PublicationNode {
        PublicationNode(self.0.publication.clone(), self.0.fields.department_id)
    }
    /// Office, facility or online procedure.
    async fn kind(&self) -> ServiceKind {
        match self.0.fields.kind {
            ps::ServiceKind::Office => ServiceKind::Office,
            ps::ServiceKind::Facility => ServiceKind::Facility,
            ps::ServiceKind::OnlineProcedure => ServiceKind::OnlineProcedure,
        }
    }
    /// Display name.
    async fn name(&self) -> &str {
        &self.0.fields.name
    }
    /// The description in Markdown, as written.
    async fn description(&self) -> &str {
        &self.0.fields.description_markdown
    }
    /// The description rendered to sanitized HTML.
    async fn description_html(&self) -> &str {
        &self.0.fields.description_html
    }
    /// Opening hours in OpenStreetMap `opening_hours` syntax (`PH` = public holidays).
    async fn opening_hours(&self) -> Option<&str> {
        self.0.fields.opening_hours.as_deref()
    }
    /// Whether the service is open right now (false when it has no opening hours).
    async fn open_now(&self, ctx: &Context<'_>) -> bool {
        self.until_next_change(ctx);
        self.hours()
            .is_some_and(|h| h.is_open(Utc::now(), self.tz()))
    }
    /// Whether the service is open at `at`.
    async fn open_at(&self, at: DateTime<Utc>) -> bool {
        self.hours().is_some_and(|h| h.is_open(at, self.tz()))
    }
    /// When the service next opens or closes, from now (null: no change within a year).
    async fn next_change(&self, ctx: &Context<'_>) -> Option<DateTime<Utc>> {
        self.until_next_change(ctx)
    }
    /// Contact phone number (E.164).
    async fn phone(&self) -> Option<&str> {
        self.0.fields.phone.as_deref()
    }
    /// Contact email address.
    async fn email(&self) -> Option<&str> {
        self.0.fields.email.as_deref()
    }
    /// Where the procedure is done online.
    async fn procedure_url(&self) -> Option<&str> {
        self.0.fields.procedure_url.as_deref()
    }
    /// Its entry in the equipment nomenclature (SCDL Équipements).
    async fn equipment(&self) -> Option<EquipmentNode> {
        self.0.fields.equipment.clone().map(EquipmentNode)
    }
    /// Where it takes place.
    async fn place(&self, ctx: &Context<'_>) -> Result<Option<PlaceNode>> {
        place(ctx, self.0.fields.place_id).await
    }
    /// The department that owns it.
    async fn department(&self, ctx: &Context<'_>) -> Result<Option<DepartmentNode>> {
        department(ctx, self.0.fields.department_id).await
    }
    /// Categories, by name.
    async fn categories(&self, ctx: &Context<'_>) -> Result<Vec<TermNode>> {
        terms(ctx, self.0.id, TermKind::Category).await
    }
}

/// A satellite website reading from the hub.
pub struct SiteNode(pub Site);

#[Object(name = "Site")]
impl SiteNode {
    /// Stable identifier (UUID).
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Incremented by every save; updates must name the version they were based on.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// URL-safe identifier, unique among items of this kind.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// Display name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Where the site is served.
    async fn base_url(&self) -> &str {
        &self.0.base_url
    }
    /// Departments whose content the site shows (empty: all).
    /// The published items of a slot (`homepage`, `featured`…) shown now, in order.
    async fn slots(&self, ctx: &Context<'_>, name: String) -> Result<Vec<super::slots::SlotItem>> {
        super::slots::shown(ctx, self.0.id, &name).await
    }
    async fn departments(&self, ctx: &Context<'_>) -> Result<Vec<DepartmentNode>> {
        let store = ctx.data_unchecked::<Store>();
        let rows = store
            .departments_by_ids(&self.0.channel.department_ids)
            .await
            .map_err(gql)?;
        Ok(rows.into_iter().map(DepartmentNode).collect())
    }
}

/// A facility's entry in the equipment nomenclature.
pub struct EquipmentNode(pub silo_domain::public_service::Equipment);

#[Object(name = "Equipment")]
impl EquipmentNode {
    /// `01010401-001`.
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn theme(&self) -> super::inputs::EquipmentTheme {
        self.0.theme.into()
    }
    async fn type_name(&self) -> &str {
        &self.0.type_name
    }
}
