//! `date: format`: Ruby Liquid's `Utils.to_date` then Ruby's `strftime`.
//!
//! Inputs: `"now"` and `"today"`, unix timestamps (integers and all-digit strings), and date
//! strings as `Time.parse` reads them (see `parse`). Anything else, and an empty format, give
//! the input back unchanged, as Liquid does. Times are shown in UTC unless the string carries
//! its own offset.

mod parse;
mod strftime;

use chrono::{DateTime, TimeZone, Utc};
use minijinja::value::ValueKind;
use minijinja::{Error, Value};

use super::arg;
use super::coerce::to_s;
use strftime::Moment;

pub(super) fn date(input: &Value, args: &[Value]) -> Result<Value, Error> {
    let format = to_s(arg(args, 0)).into_owned();
    if format.is_empty() {
        return Ok(input.clone());
    }
    match to_moment(input, Utc::now()) {
        Some(moment) => Ok(Value::from(strftime::strftime(&format, &moment))),
        None => Ok(input.clone()),
    }
}

/// Ruby Liquid's `Utils.to_date`.
fn to_moment(input: &Value, now: DateTime<Utc>) -> Option<Moment> {
    match input.kind() {
        ValueKind::Number if input.is_integer() => from_timestamp(input.as_i64()?),
        ValueKind::String => {
            let text = input.as_str()?.to_lowercase();
            if text.is_empty() {
                return None;
            }
            if text == "now" || text == "today" {
                return Some(utc(now));
            }
            if text.bytes().all(|b| b.is_ascii_digit()) {
                return from_timestamp(text.parse().ok()?);
            }
            parse::parse_time(&text, now)
        }
        _ => None,
    }
}

fn from_timestamp(seconds: i64) -> Option<Moment> {
    Utc.timestamp_opt(seconds, 0).single().map(utc)
}

fn utc(time: DateTime<Utc>) -> Moment {
    Moment {
        time: time.fixed_offset(),
        zone: Some("UTC"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: impl Into<Value>, format: impl Into<Value>) -> String {
        date(&input.into(), &[format.into()])
            .expect("date")
            .to_string()
    }

    #[test]
    fn strings_and_timestamps() {
        assert_eq!(run("March 14, 2016", "%b %d, %y"), "Mar 14, 16");
        assert_eq!(run("March 14, 2016", "%%%b %d, %y"), "%Mar 14, 16");
        assert_eq!(run("March 14, 2016", "%s"), "1457913600");
        assert_eq!(run(1152098955, "%m/%d/%Y"), "07/05/2006");
        assert_eq!(run("1152098955", "%m/%d/%Y"), "07/05/2006");
        assert_eq!(run("-1152098955", "%m/%d/%Y"), "-1152098955");
        assert_eq!(
            run("2016-03-14T10:00:00-05:00", "%B %-d, %Y %H:%M %z"),
            "March 14, 2016 10:00 -0500"
        );
    }

    #[test]
    fn unusable_input_or_format_gives_the_input_back() {
        assert_eq!(run("March 14, 2016", Value::UNDEFINED), "March 14, 2016");
        assert_eq!(run("not a date", "%Y"), "not a date");
        assert_eq!(run(1.5, "%Y"), "1.5");
        assert!(
            date(&Value::UNDEFINED, &[Value::from("%Y")])
                .expect("date")
                .is_undefined()
        );
    }

    #[test]
    fn now_and_today_are_the_current_time() {
        let year = Utc::now().format("%Y").to_string();
        assert_eq!(run("now", "%Y"), year);
        assert_eq!(run("Today", "%Y"), year);
    }
}
