//! A deterministic demo city, so that every surface (GraphQL, open data, the back office,
//! benchmarks) can be tried on plausible French content without a real city's data.
//!
//! The city is fictional: Villeneuve-sur-Loire, around 47.2184 N, 1.5536 W. Everything is
//! built through the domain's validating constructors and `.expect()`ed, so the demo data
//! is valid by construction and a rule tightened in the domain shows up here at once.
//!
//! Determinism: each kind of item draws from its own seeded random stream, and each event
//! from a stream of its own (keyed by its index), so the same `now` always gives the same
//! city, and event *n* does not depend on how many events were asked for. Only dates (and
//! the timestamp half of the UUIDv7 ids, which is `now`) depend on `now`.
//!
//! Third parties (associations' websites and mail, images) live under `example.org`, and
//! phone numbers in the ranges the French regulator (ARCEP) reserves for fiction, so the
//! demo never points at somebody real.

mod agenda;
mod directory;
mod news;
mod org;
mod places;
mod services;
#[cfg(test)]
mod tests;

use crate::association::Association;
use crate::content::{Publication, Term};
use crate::department::Department;
use crate::event::Event;
use crate::field::Slug;
use crate::news::NewsArticle;
use crate::place::Place;
use crate::public_service::PublicService;
use crate::site::Site;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone as _, Utc};
use uuid::Uuid;

/// The demo city's name, as written in addresses.
pub const CITY_NAME: &str = "Villeneuve-sur-Loire";
/// The city's own internet domain (its sites, mail addresses, online procedures).
pub const CITY_DOMAIN: &str = "villeneuve-sur-loire.fr";
/// The town hall's position; every place is within 5 km of it.
pub const CITY_CENTER: (f64, f64) = (47.2184, -1.5536);

/// Neighbourhoods, with the preposition French names take after a noun ("Club de judo
/// du Bourg"), so that names and titles can be combined without grammar mistakes.
const QUARTERS: &[&str] = &[
    "du Bourg",
    "de Saint-Clair",
    "de la Madeleine",
    "des Bords de Loire",
    "de la Croix-Blanche",
    "du Port",
    "des Coteaux",
    "de Beaulieu",
    "du Val",
    "des Trois-Moulins",
    "de Villeneuve",
];

/// Everything in the demo city but its events.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoCity {
    /// A small tree: Direction générale > Communication, Mission Internet;
    /// Culture > Médiathèques; and eight top-level departments.
    pub departments: Vec<Department>,
    /// `portail` (everything), `culture` (the Culture subtree), `tourisme` (the
    /// patrimoine, festival and marché categories).
    pub sites: Vec<Site>,
    pub categories: Vec<Term>,
    pub tags: Vec<Term>,
    pub places: Vec<Place>,
    /// 300, all published.
    pub associations: Vec<Association>,
    /// 200, published over the last six months; every 50th one (index 49, 99…) is a draft.
    pub news: Vec<NewsArticle>,
    /// 60 offices, facilities and online procedures, all published.
    pub services: Vec<PublicService>,
}

impl DemoCity {
    /// The department with this slug (`culture`, `sports`, `direction-generale`…).
    pub fn department(&self, slug: &str) -> Option<&Department> {
        self.departments.iter().find(|d| d.slug == slug)
    }

    /// The site with this slug (`portail`, `culture`, `tourisme`).
    pub fn site(&self, slug: &str) -> Option<&Site> {
        self.sites.iter().find(|s| s.slug == slug)
    }

    /// The category with this slug (`concert`, `marche`, `conseil-municipal`…).
    pub fn category(&self, slug: &str) -> Option<&Term> {
        self.categories.iter().find(|t| t.slug == slug)
    }

    /// The tag with this slug (`en-famille`, `noel`…).
    pub fn tag(&self, slug: &str) -> Option<&Term> {
        self.tags.iter().find(|t| t.slug == slug)
    }

    /// Like [`DemoCity::department`], for names the generators know are there.
    fn department_id(&self, slug: &str) -> Uuid {
        self.department(slug)
            .unwrap_or_else(|| panic!("demo department {slug} exists"))
            .id
    }

    /// Like [`DemoCity::category`], for names the generators know are there.
    fn category_id(&self, slug: &str) -> Uuid {
        self.category(slug)
            .unwrap_or_else(|| panic!("demo category {slug} exists"))
            .id
    }

    /// The places whose name contains one of `keywords`: how generators find a coherent
    /// venue (a concert in a theatre or a church, a match in a gymnasium).
    fn places_matching(&self, keywords: &[&str]) -> Vec<&Place> {
        let found: Vec<&Place> = self
            .places
            .iter()
            .filter(|p| keywords.iter().any(|k| p.name.contains(k)))
            .collect();
        assert!(!found.is_empty(), "no demo place matches {keywords:?}");
        found
    }
}

/// Everything but the events, deterministic for a given `now` (only dates depend on `now`).
pub fn city(now: DateTime<Utc>) -> DemoCity {
    let departments = org::departments(now);
    let categories = org::categories(now);
    let tags = org::tags(now);
    let sites = org::sites(&departments, &categories, now);
    let places = places::places(now);
    let mut city = DemoCity {
        departments,
        sites,
        categories,
        tags,
        places,
        associations: Vec::new(),
        news: Vec::new(),
        services: Vec::new(),
    };
    city.associations = directory::associations(&city, now);
    city.news = news::articles(&city, now);
    city.services = services::services(&city, now);
    city
}

/// `count` events, generated lazily (bounded memory even for 1,000,000), deterministic.
///
/// Event *i* depends only on `city`, `now` and *i*: the first 1,000 of a million are the
/// 1,000 of `events(city, now, 1000)`. Every 50th event (index 49, 99…) is a draft; every
/// 150th from index 11 is a December "Marché de Noël".
pub fn events<'a>(
    city: &'a DemoCity,
    now: DateTime<Utc>,
    count: usize,
) -> impl Iterator<Item = Event> + 'a {
    let agenda = agenda::Agenda::new(city, now);
    (0..count).map(move |index| agenda.event(index))
}

/// One deterministic random stream, and the instant the ids it mints carry.
///
/// Every random choice of the demo goes through it, so that there is one way to pick
/// from a list and one way to make an id.
struct Dice {
    rng: fastrand::Rng,
    id_millis: u64,
}

impl Dice {
    /// The stream named `label` (one per kind of item, so adding items of one kind does
    /// not reshuffle the others), sub-stream `index` (one per event, for random access).
    fn new(label: &str, index: u64, now: DateTime<Utc>) -> Self {
        let label_hash = label.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        Self {
            rng: fastrand::Rng::with_seed(splitmix(label_hash ^ splitmix(index))),
            id_millis: u64::try_from(now.timestamp_millis()).unwrap_or(0),
        }
    }

    /// A UUIDv7 stamped `now`, its random half drawn from the stream.
    fn id(&mut self) -> Uuid {
        let mut random = [0_u8; 10];
        self.rng.fill(&mut random);
        uuid::Builder::from_unix_timestamp_millis(self.id_millis, &random).into_uuid()
    }

    /// One item of a non-empty list, uniformly.
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.rng.usize(..items.len())]
    }

    /// One item of a non-empty list, in proportion to `weight`.
    fn pick_weighted<'a, T>(&mut self, items: &'a [T], weight: impl Fn(&T) -> u32) -> &'a T {
        let total: u32 = items.iter().map(&weight).sum();
        let mut ticket = self.rng.u32(..total);
        for item in items {
            let w = weight(item);
            if ticket < w {
                return item;
            }
            ticket -= w;
        }
        unreachable!("the ticket is below the total weight")
    }

    /// Between none and `max` distinct items of `items`, in list order.
    fn up_to<'a, T>(&mut self, items: &'a [T], max: usize) -> Vec<&'a T> {
        let count = self.rng.usize(..=max.min(items.len()));
        self.distinct(items, count)
    }

    /// `count` distinct items of `items` (at most all of them), in list order.
    fn distinct<'a, T>(&mut self, items: &'a [T], count: usize) -> Vec<&'a T> {
        let count = count.min(items.len());
        let mut chosen: Vec<usize> = Vec::with_capacity(count);
        while chosen.len() < count {
            let i = self.rng.usize(..items.len());
            if !chosen.contains(&i) {
                chosen.push(i);
            }
        }
        chosen.sort_unstable();
        chosen.into_iter().map(|i| &items[i]).collect()
    }

    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        self.rng.f64() < p
    }

    /// An integer in `range`.
    fn int(&mut self, range: std::ops::RangeInclusive<i64>) -> i64 {
        self.rng.i64(range)
    }

    /// `n` random decimal digits.
    fn digits(&mut self, n: usize) -> String {
        (0..n).map(|_| self.rng.digit(10)).collect()
    }

    /// A landline in 02 61 91 xx xx, a range ARCEP reserves for fiction (western France).
    fn landline(&mut self) -> String {
        format!("02 61 91 {} {}", self.digits(2), self.digits(2))
    }

    /// A mobile number in 06 39 98 xx xx, reserved for fiction as well.
    fn mobile(&mut self) -> String {
        format!("06 39 98 {} {}", self.digits(2), self.digits(2))
    }
}

/// The SplitMix64 finalizer: spreads nearby seeds (0, 1, 2…) far apart.
fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The slug of `title` made unique within its kind by the item's sequence number
/// (`concert-de-jazz-manouche-00042`); the domain keeps slugs at most 120 characters and
/// `Slug::from_title` at most 110, which leaves room for the number.
fn numbered_slug(title: &str, sequence: usize) -> String {
    format!("{}-{sequence:05}", Slug::from_title(title))
}

/// Published at `at`, or a draft created then when `draft` (to exercise the
/// "published only" filters).
fn publication(at: DateTime<Utc>, draft: bool) -> Publication {
    if draft {
        Publication::draft(at)
    } else {
        Publication::published(at)
    }
}

/// Whether the item at `index` is one of the 2% of drafts (every 50th).
fn is_draft(index: usize) -> bool {
    index % 50 == 49
}

/// The instant of `date` at `minutes` past local midnight, in Paris.
///
/// Demo times are never inside a daylight-saving gap (those are at 02:00–03:00), and for
/// the ambiguous autumn hour the earlier instant is taken.
fn paris_instant(date: NaiveDate, minutes: u32) -> DateTime<Utc> {
    let time = NaiveTime::from_num_seconds_from_midnight_opt(minutes * 60, 0)
        .expect("demo times are within the day");
    chrono_tz::Europe::Paris
        .from_local_datetime(&date.and_time(time))
        .earliest()
        .expect("demo times avoid the daylight-saving gap")
        .with_timezone(&Utc)
}

/// Today's date in Paris.
fn paris_date(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&chrono_tz::Europe::Paris).date_naive()
}
