use super::*;

#[test]
fn long_lines_fold_at_75_octets_between_characters() {
    let value = "é".repeat(100);
    let folded = line("SUMMARY", &value);
    assert!(folded.ends_with("\r\n"));
    let physical: Vec<&str> = folded.trim_end_matches("\r\n").split("\r\n").collect();
    assert!(physical.len() > 2);
    for (i, l) in physical.iter().enumerate() {
        assert!(l.len() <= 75, "line {i} has {} octets", l.len());
        if i > 0 {
            assert!(l.starts_with(' '));
        }
    }
    // Unfolding gives the line back, every character whole.
    let unfolded = folded.trim_end_matches("\r\n").replace("\r\n ", "");
    assert_eq!(unfolded, format!("SUMMARY:{value}"));
}

#[test]
fn a_short_line_is_left_alone() {
    assert_eq!(line("VERSION", "2.0"), "VERSION:2.0\r\n");
    let exactly = format!("SUMMARY:{}", "a".repeat(67));
    assert_eq!(exactly.len(), 75);
    assert_eq!(line("SUMMARY", &"a".repeat(67)), format!("{exactly}\r\n"));
}

#[test]
fn text_is_escaped() {
    assert_eq!(
        text("Fête; concert, bal\\ soirée\r\nsuite\nfin"),
        "Fête\\; concert\\, bal\\\\ soirée\\nsuite\\nfin"
    );
}

#[test]
fn paris_has_yearly_last_sunday_rules() {
    let tz = vtimezone(chrono_tz::Europe::Paris, 2026);
    let expected = [
        "BEGIN:VTIMEZONE",
        "TZID:Europe/Paris",
        "BEGIN:DAYLIGHT",
        "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0200",
        "TZNAME:CEST",
        "DTSTART:19700329T020000",
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
        "END:DAYLIGHT",
        "BEGIN:STANDARD",
        "TZOFFSETFROM:+0200",
        "TZOFFSETTO:+0100",
        "TZNAME:CET",
        "DTSTART:19701025T030000",
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
        "END:STANDARD",
        "END:VTIMEZONE",
    ];
    assert_eq!(tz, expected.map(|l| format!("{l}\r\n")).concat());
}

#[test]
fn new_york_uses_nth_sundays_and_tokyo_has_no_daylight_time() {
    let ny = vtimezone(chrono_tz::America::New_York, 2026);
    assert!(ny.contains("RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU"), "{ny}");
    assert!(
        ny.contains("RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU"),
        "{ny}"
    );
    assert!(ny.contains("TZOFFSETTO:-0400"));
    let tokyo = vtimezone(chrono_tz::Asia::Tokyo, 2026);
    assert!(
        tokyo.contains("TZOFFSETFROM:+0900\r\nTZOFFSETTO:+0900"),
        "{tokyo}"
    );
    assert!(!tokyo.contains("DAYLIGHT"));
}

#[test]
fn statuses_follow_the_mapping() {
    assert_eq!(status(EventStatus::Cancelled), "CANCELLED");
    assert_eq!(status(EventStatus::Postponed), "TENTATIVE");
    assert_eq!(status(EventStatus::Full), "CONFIRMED");
}
