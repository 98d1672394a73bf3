//! Ruby's `Time#strftime`, written out because chrono's formatter differs from it (no `^`/`#`
//! flags, no widths, `%N`/`%L` digit counts, `%-l`, unknown directives kept as written).

use chrono::{DateTime, Datelike, FixedOffset, Timelike};

/// A point in time with the offset it is shown in and the zone name `%Z` prints (empty for a
/// bare numeric offset, as Ruby's `Time.parse` leaves it).
pub(crate) struct Moment {
    pub(crate) time: DateTime<FixedOffset>,
    pub(crate) zone: Option<&'static str>,
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// How one directive was written: `%-d`, `%^a`, `%10N`, `%::z`.
#[derive(Default, Clone, Copy)]
struct Spec {
    no_pad: bool,
    space_pad: bool,
    zero_pad: bool,
    upcase: bool,
    change_case: bool,
    colons: usize,
    width: Option<usize>,
}

pub(crate) fn strftime(format: &str, moment: &Moment) -> String {
    let mut out = String::with_capacity(format.len() + 16);
    let mut rest = format;
    while let Some(percent) = rest.find('%') {
        out.push_str(&rest[..percent]);
        let directive = &rest[percent..];
        match parse_directive(directive) {
            Some((spec, conversion, length)) => match render(conversion, spec, moment) {
                Some(text) => out.push_str(&text),
                None => out.push_str(&directive[..length]),
            },
            None => {
                // A lone `%` at the end, or `%` followed by nothing Ruby knows.
                let length = directive[1..]
                    .chars()
                    .next()
                    .map_or(1, |c| 1 + c.len_utf8());
                out.push_str(&directive[..length]);
            }
        }
        rest = &rest[percent + directive_length(directive)..];
    }
    out.push_str(rest);
    out
}

fn directive_length(directive: &str) -> usize {
    match parse_directive(directive) {
        Some((_, _, length)) => length,
        None => directive[1..]
            .chars()
            .next()
            .map_or(1, |c| 1 + c.len_utf8()),
    }
}

/// Flags, width, colons and the conversion character after `%`, with the byte length used.
fn parse_directive(directive: &str) -> Option<(Spec, char, usize)> {
    let mut spec = Spec::default();
    let bytes = directive.as_bytes();
    let mut index = 1;
    while let Some(&byte) = bytes.get(index) {
        match byte {
            b'-' => spec.no_pad = true,
            b'_' => spec.space_pad = true,
            b'0' => spec.zero_pad = true,
            b'^' => spec.upcase = true,
            b'#' => spec.change_case = true,
            _ => break,
        }
        index += 1;
    }
    let width_start = index;
    while bytes.get(index).is_some_and(u8::is_ascii_digit) {
        index += 1;
    }
    if index > width_start {
        spec.width = directive[width_start..index]
            .parse()
            .ok()
            .map(|w: usize| w.min(1024));
    }
    // `E` and `O` (POSIX locale modifiers) are accepted and ignored before the conversions
    // Ruby allows them on.
    match bytes.get(index) {
        Some(b'E') if bytes.get(index + 1).is_some_and(|b| b"cCxXyY".contains(b)) => index += 1,
        Some(b'O')
            if bytes
                .get(index + 1)
                .is_some_and(|b| b"deHkIlmMSuUVwWy".contains(b)) =>
        {
            index += 1;
        }
        Some(b'E' | b'O') => return None,
        _ => {}
    }
    while bytes.get(index) == Some(&b':') {
        spec.colons += 1;
        index += 1;
    }
    let conversion = directive[index..].chars().next()?;
    if spec.colons > 3 || (spec.colons > 0 && conversion != 'z') {
        return None;
    }
    Some((spec, conversion, index + conversion.len_utf8()))
}

fn render(conversion: char, spec: Spec, moment: &Moment) -> Option<String> {
    let time = &moment.time;
    let hour12 = match time.hour() % 12 {
        0 => 12,
        hour => hour,
    };
    let text = match conversion {
        'Y' => {
            let year = i64::from(time.year());
            number(year, if year < 0 { 5 } else { 4 }, '0', spec)
        }
        'C' => number(i64::from(time.year()).div_euclid(100), 2, '0', spec),
        'y' => number(i64::from(time.year()).rem_euclid(100), 2, '0', spec),
        'm' => number(i64::from(time.month()), 2, '0', spec),
        'd' => number(i64::from(time.day()), 2, '0', spec),
        'e' => number(i64::from(time.day()), 2, ' ', spec),
        'j' => number(i64::from(time.ordinal()), 3, '0', spec),
        'H' => number(i64::from(time.hour()), 2, '0', spec),
        'k' => number(i64::from(time.hour()), 2, ' ', spec),
        'I' => number(i64::from(hour12), 2, '0', spec),
        'l' => number(i64::from(hour12), 2, ' ', spec),
        'M' => number(i64::from(time.minute()), 2, '0', spec),
        'S' => number(i64::from(time.second().min(59)), 2, '0', spec),
        'L' => fraction(time.nanosecond(), spec.width.unwrap_or(3)),
        'N' => fraction(time.nanosecond(), spec.width.unwrap_or(9)),
        'z' => offset(time.offset().local_minus_utc(), spec),
        'Z' => {
            let zone = moment.zone.unwrap_or("");
            let zone = if spec.change_case {
                zone.to_lowercase()
            } else {
                zone.to_string()
            };
            word(
                zone,
                Spec {
                    change_case: false,
                    ..spec
                },
            )
        }
        'A' => word(DAYS[weekday(time)].to_string(), spec),
        'a' => word(DAYS[weekday(time)][..3].to_string(), spec),
        'B' => word(MONTHS[time.month0() as usize].to_string(), spec),
        'b' | 'h' => word(MONTHS[time.month0() as usize][..3].to_string(), spec),
        'p' | 'P' => {
            let upper = time.hour() >= 12;
            // `%P` is lower case unless `#` or `^` says otherwise; `%#p` is lower case.
            let lower = if conversion == 'P' {
                !(spec.change_case || spec.upcase)
            } else {
                spec.change_case
            };
            let text = match (upper, lower) {
                (true, false) => "PM",
                (false, false) => "AM",
                (true, true) => "pm",
                (false, true) => "am",
            };
            let spec = Spec {
                change_case: false,
                ..spec
            };
            word(text.to_string(), spec)
        }
        'u' => number(i64::from(time.weekday().number_from_monday()), 1, '0', spec),
        'w' => number(weekday(time) as i64, 1, '0', spec),
        'U' => number(
            i64::from((time.ordinal0() + 7 - weekday(time) as u32) / 7),
            2,
            '0',
            spec,
        ),
        'W' => {
            let monday_based = time.weekday().num_days_from_monday();
            number(
                i64::from((time.ordinal0() + 7 - monday_based) / 7),
                2,
                '0',
                spec,
            )
        }
        'G' => {
            let year = i64::from(time.iso_week().year());
            number(year, if year < 0 { 5 } else { 4 }, '0', spec)
        }
        'g' => number(
            i64::from(time.iso_week().year()).rem_euclid(100),
            2,
            '0',
            spec,
        ),
        'V' => number(i64::from(time.iso_week().week()), 2, '0', spec),
        's' => number(time.timestamp(), 1, '0', spec),
        'Q' => number(time.timestamp_millis(), 1, '0', spec),
        'n' => word("\n".to_string(), spec),
        't' => word("\t".to_string(), spec),
        '%' => word("%".to_string(), spec),
        'c' => composite("%a %b %e %H:%M:%S %Y", spec, moment),
        'D' | 'x' => composite("%m/%d/%y", spec, moment),
        'F' => composite("%Y-%m-%d", spec, moment),
        'T' | 'X' => composite("%H:%M:%S", spec, moment),
        'R' => composite("%H:%M", spec, moment),
        'r' => composite("%I:%M:%S %p", spec, moment),
        'v' => composite("%e-%^b-%4Y", spec, moment),
        '+' => composite("%a %b %e %H:%M:%S %Z %Y", spec, moment),
        _ => return None,
    };
    Some(text)
}

/// Sunday is 0.
fn weekday(time: &DateTime<FixedOffset>) -> usize {
    time.weekday().num_days_from_sunday() as usize
}

/// A number padded to its width: zeros or spaces by default, `-` for none, `_` spaces, `0`
/// zeros. The sign comes before zero padding.
fn number(value: i64, default_width: usize, default_pad: char, spec: Spec) -> String {
    let digits = value.unsigned_abs().to_string();
    let sign = if value < 0 { "-" } else { "" };
    if spec.no_pad {
        return format!("{sign}{digits}");
    }
    let pad = if spec.space_pad {
        ' '
    } else if spec.zero_pad {
        '0'
    } else {
        default_pad
    };
    let width = spec.width.unwrap_or(default_width);
    let used = sign.len() + digits.len();
    let padding: String = std::iter::repeat_n(pad, width.saturating_sub(used)).collect();
    if pad == '0' {
        format!("{sign}{padding}{digits}")
    } else {
        format!("{padding}{sign}{digits}")
    }
}

/// Fractional seconds to `digits` places, truncated (`%L` is 3, `%N` 9, `%6N` microseconds).
fn fraction(nanos: u32, digits: usize) -> String {
    let mut text = format!("{:09}", nanos.min(999_999_999));
    if digits <= 9 {
        text.truncate(digits);
    } else {
        text.extend(std::iter::repeat_n('0', digits - 9));
    }
    text
}

/// `%z` `+hhmm`, `%:z` `+hh:mm`, `%::z` `+hh:mm:ss`.
fn offset(seconds: i32, spec: Spec) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let seconds = seconds.unsigned_abs();
    let (hours, minutes, secs) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    let body = match spec.colons {
        0 => format!("{hours:02}{minutes:02}"),
        1 => format!("{hours:02}:{minutes:02}"),
        2 => format!("{hours:02}:{minutes:02}:{secs:02}"),
        // `%:::z`: only as precise as needed.
        _ if seconds % 3600 == 0 => format!("{hours:02}"),
        _ if seconds % 60 == 0 => format!("{hours:02}:{minutes:02}"),
        _ => format!("{hours:02}:{minutes:02}:{secs:02}"),
    };
    let text = format!("{sign}{body}");
    match spec.width {
        Some(width) if width > text.len() && !spec.no_pad => {
            let pad = if spec.space_pad { ' ' } else { '0' };
            let padding: String = std::iter::repeat_n(pad, width - text.len()).collect();
            if pad == '0' {
                format!("{sign}{padding}{body}")
            } else {
                format!("{padding}{text}")
            }
        }
        _ => text,
    }
}

/// A word (day or month name, AM/PM): `^` and `#` upcase it, a width pads it on the left.
fn word(text: String, spec: Spec) -> String {
    let text = if spec.upcase || spec.change_case {
        text.to_uppercase()
    } else {
        text
    };
    pad_left(text, spec)
}

fn composite(format: &str, spec: Spec, moment: &Moment) -> String {
    let text = strftime(format, moment);
    let text = if spec.upcase {
        text.to_uppercase()
    } else {
        text
    };
    pad_left(text, spec)
}

fn pad_left(text: String, spec: Spec) -> String {
    match spec.width {
        Some(width) if !spec.no_pad && width > text.chars().count() => {
            let pad = if spec.zero_pad { '0' } else { ' ' };
            let mut padded: String =
                std::iter::repeat_n(pad, width - text.chars().count()).collect();
            padded.push_str(&text);
            padded
        }
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn moment(offset_hours: i32, zone: Option<&'static str>) -> Moment {
        let offset = FixedOffset::east_opt(offset_hours * 3600).expect("offset");
        let time = offset
            .with_ymd_and_hms(2016, 3, 4, 15, 7, 9)
            .single()
            .expect("time")
            + chrono::Duration::nanoseconds(123_456_789);
        Moment { time, zone }
    }

    fn format(text: &str) -> String {
        strftime(text, &moment(0, Some("UTC")))
    }

    #[test]
    fn the_usual_directives() {
        assert_eq!(format("%Y-%m-%d %H:%M:%S"), "2016-03-04 15:07:09");
        assert_eq!(format("%a %A %b %B %h"), "Fri Friday Mar March Mar");
        assert_eq!(
            format("%y %C %j %e|%k|%l|%I %p %P"),
            "16 20 064  4|15| 3|03 PM pm"
        );
        assert_eq!(format("%u %w %U %W %G %g %V"), "5 5 09 09 2016 16 09");
        assert_eq!(
            format("%L %N %3N %6N %12N"),
            "123 123456789 123 123456 123456789000"
        );
        assert_eq!(format("%s %Q"), "1457104029 1457104029123");
        assert_eq!(format("%z %:z %::z %Z"), "+0000 +00:00 +00:00:00 UTC");
        assert_eq!(format("%%%n%t"), "%\n\t");
    }

    #[test]
    fn flags_and_widths() {
        assert_eq!(format("%-d/%-m %-H %-I %-j"), "4/3 15 3 64");
        assert_eq!(format("%^a %^B %#p %#Z %^p"), "FRI MARCH pm utc PM");
        assert_eq!(format("%P %^P %#P %#a %#B"), "pm PM PM FRI MARCH");
        assert_eq!(format("%:::z %Ey %Oq %Eq"), "+00 16 %Oq %Eq");
        assert_eq!(
            format("%_m %05d %10A|%-10A|%010A"),
            " 3 00004     Friday|Friday|0000Friday"
        );
        assert_eq!(format("%_3d %3e"), "  4   4");
    }

    #[test]
    fn composites() {
        assert_eq!(format("%c"), "Fri Mar  4 15:07:09 2016");
        assert_eq!(
            format("%D %x %F %T %X %R %r"),
            "03/04/16 03/04/16 2016-03-04 15:07:09 15:07:09 15:07 03:07:09 PM"
        );
        assert_eq!(format("%v"), " 4-MAR-2016");
        assert_eq!(format("%+"), "Fri Mar  4 15:07:09 UTC 2016");
        assert_eq!(format("%^c"), "FRI MAR  4 15:07:09 2016");
    }

    #[test]
    fn offsets_and_unknown_directives() {
        let east = moment(-5, None);
        assert_eq!(strftime("%z %:z %Z|", &east), "-0500 -05:00 |");
        assert_eq!(format("%i %Ey %q 100%"), "%i 16 %q 100%");
        assert_eq!(format("%"), "%");
        assert_eq!(format("%é"), "%é");
        assert_eq!(format("%:d"), "%:d");
    }
}
