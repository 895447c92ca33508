//! `agenda.ics`: the calendar's head with one `VTIMEZONE` per zone used, then a `VEVENT`
//! per event (the whole series of a recurring one).

use super::export::{Context, Format, Page};
use chrono::Datelike;
use silo_domain::DomainError;
use silo_domain::content::TermKind;
use silo_domain::ical::{self, CalendarInfo, EventContext, Lines};
use silo_storage::Store;

pub struct Ics;

impl Format for Ics {
    fn needs_occurrences(&self) -> bool {
        false
    }

    async fn head(&self, store: &Store, context: &Context) -> Result<String, DomainError> {
        let feed = &context.feed;
        let name = match &feed.site {
            Some(site) => format!("Agenda — {}", site.name),
            None => "Agenda".to_owned(),
        };
        let info = CalendarInfo {
            name,
            description: "Agenda public. Licence Ouverte 2.0 (etalab-2.0).".to_owned(),
            url: format!("{}/opendata/agenda.ics", context.base),
        };
        let mut out = ical::calendar_start(&info);
        let zones = store
            .agenda_time_zones(&feed.filter, feed.scope.as_ref(), context.now)
            .await?;
        for zone in zones {
            if let Ok(tz) = zone.parse::<chrono_tz::Tz>() {
                out += &ical::vtimezone(tz, context.now.year());
            }
        }
        Ok(out)
    }

    fn page(&self, page: &Page, context: &Context) -> Result<String, DomainError> {
        let mut out = String::with_capacity(page.events.len() * 1024);
        let mut lines = Lines::new(&mut out);
        for event in &page.events {
            let mut categories = page.term_names(event, TermKind::Category);
            categories.extend(page.term_names(event, TermKind::Tag));
            let event_context = EventContext {
                place: page.place(event),
                categories,
                url: Some(context.event_url(event)),
            };
            ical::write_vevent(&mut lines, event, &event_context);
        }
        Ok(out)
    }

    async fn tail(&self, _: &Store, _: &Context) -> Result<String, DomainError> {
        Ok(ical::calendar_end())
    }
}
