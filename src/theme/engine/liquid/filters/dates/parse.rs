//! The part of Ruby's `Time.parse` that templates use: ISO 8601 (`2016-03-14T10:00:00Z`,
//! `2016-03-14 10:00:00 -0500`), RFC 2822 (`Mon, 14 Mar 2016 10:00:00 +0000`), month names
//! (`March 14, 2016`, `14 March 2016`, `Mar 14 2016 10pm`), `2016/03/14`, US `03/14/2016`,
//! European `14.03.2016`, and a bare time (`10:30`) on today's date. Missing parts are filled
//! from now, the way Ruby fills them; times without a zone are UTC (the server's zone).

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};

use super::strftime::Moment;

const MONTH_NAMES: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const DAY_NAMES: [&str; 7] = [
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
];

#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// Digits, with the separator right after them (if any) so `2016-03-14` can be recognised.
    Number(String),
    Word(String),
    Symbol(char),
}

fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_ascii_digit() {
            let mut digits = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                digits.push(d);
                chars.next();
            }
            tokens.push(Token::Number(digits));
        } else if c.is_alphabetic() {
            let mut word = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_alphabetic()) {
                word.extend(d.to_lowercase());
                chars.next();
            }
            tokens.push(Token::Word(word));
        } else if c.is_whitespace() {
            chars.next();
            if tokens.last() != Some(&Token::Symbol(' ')) {
                tokens.push(Token::Symbol(' '));
            }
        } else {
            tokens.push(Token::Symbol(c));
            chars.next();
        }
    }
    tokens
}

/// What was found in the string; absent parts are filled in later.
#[derive(Default, Debug)]
struct Parts {
    year: Option<i32>,
    month: Option<u32>,
    day: Option<u32>,
    hour: Option<u32>,
    minute: u32,
    second: u32,
    nanos: u32,
    offset: Option<i32>,
    utc: bool,
}

fn month_of(word: &str) -> Option<u32> {
    if word.len() < 3 {
        return None;
    }
    let word = if word == "sept" { "sep" } else { word };
    MONTH_NAMES
        .iter()
        .position(|name| name.starts_with(word) && (word.len() == 3 || *name == word))
        .map(|index| index as u32 + 1)
}

fn is_day_name(word: &str) -> bool {
    word.len() >= 3
        && DAY_NAMES.iter().any(|name| {
            name.starts_with(word)
                && (word.len() == 3
                    || *name == word
                    || word.len() == 4 && name.starts_with(&word[..3]))
        })
}

/// Known zone names and their offsets in seconds; `true` where Ruby treats the zone as UTC.
fn zone_offset(word: &str) -> Option<(i32, bool)> {
    let hours = match word {
        "utc" | "z" | "ut" => return Some((0, true)),
        "gmt" => 0,
        "est" => -5,
        "edt" => -4,
        "cst" => -6,
        "cdt" => -5,
        "mst" => -7,
        "mdt" => -6,
        "pst" => -8,
        "pdt" => -7,
        "cet" => 1,
        "cest" => 2,
        "eet" => 2,
        "eest" => 3,
        "bst" => 1,
        "jst" => 9,
        _ => return None,
    };
    Some((hours * 3600, false))
}

/// A two-digit year completed as Ruby completes it (69-99 in the 1900s, 00-68 in the 2000s).
fn complete_year(digits: &str) -> Option<i32> {
    let year: i32 = digits.parse().ok()?;
    Some(if digits.len() <= 2 {
        if year >= 69 { year + 1900 } else { year + 2000 }
    } else {
        year
    })
}

fn number_at(tokens: &[Token], index: usize) -> Option<&str> {
    match tokens.get(index) {
        Some(Token::Number(digits)) => Some(digits),
        _ => None,
    }
}

fn symbol_at(tokens: &[Token], index: usize) -> Option<char> {
    match tokens.get(index) {
        Some(Token::Symbol(c)) => Some(*c),
        _ => None,
    }
}

/// `n SEP n SEP n` with one separator character used twice.
fn triple(tokens: &[Token], index: usize) -> Option<(&str, char, &str, &str)> {
    let first = number_at(tokens, index)?;
    let separator = symbol_at(tokens, index + 1)?;
    let second = number_at(tokens, index + 2)?;
    if symbol_at(tokens, index + 3)? != separator {
        return None;
    }
    let third = number_at(tokens, index + 4)?;
    Some((first, separator, second, third))
}

/// Reads `tokens` into parts, consuming what it recognises (replaced by spaces).
fn read(tokens: &mut [Token]) -> Option<Parts> {
    let mut parts = Parts::default();
    read_numeric_date(tokens, &mut parts);
    read_time(tokens, &mut parts)?;
    if parts.month.is_none() {
        read_month_name_date(tokens, &mut parts);
    }
    read_zone(tokens, &mut parts);
    // Day names carry nothing; a stray `t` is the ISO date/time separator.
    for token in tokens.iter_mut() {
        if let Token::Word(word) = token {
            if is_day_name(word)
                || word == "t"
                || word == "at"
                || word == "of"
                || word == "th"
                || word == "st"
                || word == "nd"
                || word == "rd"
            {
                *token = Token::Symbol(' ');
            }
        }
    }
    // Anything left that is not punctuation, a lone year, or a lone day means we misread it.
    for token in tokens.iter_mut() {
        match token {
            Token::Number(digits) => {
                if parts.year.is_none() && digits.len() == 4 {
                    parts.year = digits.parse().ok();
                } else if parts.day.is_none() && parts.month.is_some() && digits.len() <= 2 {
                    parts.day = digits.parse().ok();
                } else {
                    return None;
                }
                *token = Token::Symbol(' ');
            }
            Token::Word(_) => return None,
            Token::Symbol(_) => {}
        }
    }
    let anything = parts.year.is_some()
        || parts.month.is_some()
        || parts.day.is_some()
        || parts.hour.is_some();
    anything.then_some(parts)
}

fn clear(tokens: &mut [Token], from: usize, to: usize) {
    for token in tokens.iter_mut().take(to).skip(from) {
        *token = Token::Symbol(' ');
    }
}

/// `2016-03-14`, `2016/03/14`, `2016.03.14`, `03/14/2016`, `14.03.2016`, `14-03-2016`.
fn read_numeric_date(tokens: &mut [Token], parts: &mut Parts) {
    for index in 0..tokens.len() {
        let Some((first, separator, second, third)) = triple(tokens, index) else {
            continue;
        };
        if !matches!(separator, '-' | '/' | '.') {
            continue;
        }
        let (year, month, day) = if first.len() >= 3 {
            (
                complete_year(first),
                second.parse().ok(),
                third.parse().ok(),
            )
        } else if separator == '/' {
            (
                complete_year(third),
                first.parse().ok(),
                second.parse().ok(),
            )
        } else {
            (
                complete_year(third),
                second.parse().ok(),
                first.parse().ok(),
            )
        };
        parts.year = year;
        parts.month = month;
        parts.day = day;
        clear(tokens, index, index + 5);
        // A leading minus on an ISO date is a negative year in Ruby; not supported here.
        return;
    }
}

/// `10:30`, `10:30:15`, `10:30:15.250`, then `am`/`pm`; or `10pm`.
fn read_time(tokens: &mut [Token], parts: &mut Parts) -> Option<()> {
    for index in 0..tokens.len() {
        let Some(hour) = number_at(tokens, index) else {
            continue;
        };
        let mut end;
        if symbol_at(tokens, index + 1) == Some(':') && number_at(tokens, index + 2).is_some() {
            parts.hour = Some(hour.parse().ok()?);
            parts.minute = number_at(tokens, index + 2)?.parse().ok()?;
            end = index + 3;
            if symbol_at(tokens, end) == Some(':') {
                if let Some(second) = number_at(tokens, end + 1) {
                    parts.second = second.parse().ok()?;
                    end += 2;
                    if matches!(symbol_at(tokens, end), Some('.' | ',')) {
                        if let Some(fraction) = number_at(tokens, end + 1) {
                            let digits: String = fraction
                                .chars()
                                .chain(std::iter::repeat('0'))
                                .take(9)
                                .collect();
                            parts.nanos = digits.parse().ok()?;
                            end += 2;
                        }
                    }
                }
            }
        } else if hour.len() <= 2 && meridian_at(tokens, index + 1).is_some() {
            parts.hour = Some(hour.parse().ok()?);
            end = index + 1;
        } else {
            continue;
        }
        if let Some((pm, length)) = meridian_at(tokens, end) {
            let hour = parts.hour?;
            if !(1..=12).contains(&hour) {
                return None;
            }
            parts.hour = Some(hour % 12 + if pm { 12 } else { 0 });
            end += length;
        }
        clear(tokens, index, end);
        read_offset_after(tokens, end, parts);
        return Some(());
    }
    Some(())
}

/// `am`, `pm`, `a.m.`, `p.m.` (with an optional space before), and how many tokens it takes.
fn meridian_at(tokens: &[Token], index: usize) -> Option<(bool, usize)> {
    let (index, skipped) = if symbol_at(tokens, index) == Some(' ') {
        (index + 1, 1)
    } else {
        (index, 0)
    };
    match tokens.get(index) {
        Some(Token::Word(word)) if word == "am" || word == "pm" => {
            Some((word == "pm", skipped + 1))
        }
        Some(Token::Word(word))
            if (word == "a" || word == "p") && symbol_at(tokens, index + 1) == Some('.') =>
        {
            let pm = word == "p";
            match (tokens.get(index + 2), symbol_at(tokens, index + 3)) {
                (Some(Token::Word(m)), Some('.')) if m == "m" => Some((pm, skipped + 4)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// A numeric offset right after the time: `+05:00`, `-0500`, `+05`, `z`.
fn read_offset_after(tokens: &mut [Token], start: usize, parts: &mut Parts) {
    let index = if symbol_at(tokens, start) == Some(' ') {
        start + 1
    } else {
        start
    };
    match tokens.get(index) {
        Some(Token::Symbol(sign @ ('+' | '-'))) => {
            let negative = *sign == '-';
            let Some(digits) = number_at(tokens, index + 1) else {
                return;
            };
            let (hours, minutes, used) = match digits.len() {
                1 | 2 => {
                    if symbol_at(tokens, index + 2) == Some(':') {
                        match number_at(tokens, index + 3) {
                            Some(minutes) => {
                                (digits.parse().unwrap_or(0), minutes.parse().unwrap_or(0), 4)
                            }
                            None => (digits.parse().unwrap_or(0), 0, 2),
                        }
                    } else {
                        (digits.parse().unwrap_or(0), 0, 2)
                    }
                }
                4 => (
                    digits[..2].parse().unwrap_or(0),
                    digits[2..].parse().unwrap_or(0),
                    2,
                ),
                _ => return,
            };
            let seconds: i32 = hours * 3600 + minutes * 60;
            parts.offset = Some(if negative { -seconds } else { seconds });
            parts.utc = negative && seconds == 0;
            clear(tokens, index, index + used);
        }
        Some(Token::Word(word)) if word == "z" => {
            parts.offset = Some(0);
            parts.utc = true;
            clear(tokens, index, index + 1);
        }
        _ => {}
    }
}

/// `March 14, 2016`, `Mar 14 2016`, `14 March 2016`, `14-Mar-2016`, `14th of March`.
fn read_month_name_date(tokens: &mut [Token], parts: &mut Parts) {
    let Some(position) = tokens
        .iter()
        .position(|token| matches!(token, Token::Word(word) if month_of(word).is_some()))
    else {
        return;
    };
    if let Some(Token::Word(word)) = tokens.get(position) {
        parts.month = month_of(word);
    }
    tokens[position] = Token::Symbol(' ');
    // A day before the month name (European order), skipping separators and "of".
    let mut before = position;
    while before > 0
        && matches!(
            &tokens[before - 1],
            Token::Symbol(' ' | '-' | '.' | '/') | Token::Word(_)
        )
    {
        if let Token::Word(word) = &tokens[before - 1] {
            if !matches!(word.as_str(), "of" | "th" | "st" | "nd" | "rd") {
                break;
            }
        }
        before -= 1;
    }
    let day_before = before.checked_sub(1).and_then(|index| {
        number_at(tokens, index)
            .filter(|d| d.len() <= 2)
            .map(|d| (index, d.to_string()))
    });
    let following: Vec<(usize, String)> = tokens
        .iter()
        .enumerate()
        .skip(position + 1)
        .filter_map(|(index, token)| match token {
            Token::Number(digits) => Some((index, digits.clone())),
            _ => None,
        })
        .take(2)
        .collect();
    let mut next_numbers = following.into_iter();
    match day_before {
        Some((index, day)) => {
            parts.day = day.parse().ok();
            tokens[index] = Token::Symbol(' ');
            if let Some((index, year)) = next_numbers.next() {
                parts.year = complete_year(&year);
                tokens[index] = Token::Symbol(' ');
            }
        }
        None => {
            let first = next_numbers.next();
            let second = next_numbers.next();
            match first {
                Some((index, digits)) if digits.len() <= 2 => {
                    parts.day = digits.parse().ok();
                    tokens[index] = Token::Symbol(' ');
                    if let Some((index, year)) = second {
                        parts.year = complete_year(&year);
                        tokens[index] = Token::Symbol(' ');
                    }
                }
                Some((index, digits)) => {
                    parts.year = complete_year(&digits);
                    tokens[index] = Token::Symbol(' ');
                }
                None => {}
            }
        }
    }
}

/// Zone names anywhere (`UTC`, `EST`, `GMT+2`) and a numeric offset not already read.
fn read_zone(tokens: &mut [Token], parts: &mut Parts) {
    for index in 0..tokens.len() {
        let Some(Token::Word(word)) = tokens.get(index) else {
            continue;
        };
        let Some((offset, utc)) = zone_offset(word) else {
            continue;
        };
        tokens[index] = Token::Symbol(' ');
        if parts.offset.is_none() {
            parts.offset = Some(offset);
            parts.utc = utc;
        }
        read_offset_after(tokens, index + 1, parts);
        return;
    }
    if parts.offset.is_none() {
        for index in 0..tokens.len() {
            if matches!(symbol_at(tokens, index), Some('+' | '-'))
                && number_at(tokens, index + 1).is_some_and(|d| d.len() == 4)
                && parts.hour.is_some()
            {
                read_offset_after(tokens, index, parts);
                return;
            }
        }
    }
}

/// `Time.parse(text)` with the current time `now` for the parts the text leaves out.
pub(crate) fn parse_time(text: &str, now: DateTime<Utc>) -> Option<Moment> {
    let mut tokens = tokenize(text);
    let parts = read(&mut tokens)?;
    let year = parts.year.unwrap_or(now.year());
    let month = match parts.month {
        Some(month) => month,
        None if parts.year.is_some() => 1,
        None => now.month(),
    };
    let day = match parts.day {
        Some(day) => day,
        None if parts.year.is_some() || parts.month.is_some() => 1,
        None => now.day(),
    };
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let time = NaiveTime::from_hms_nano_opt(
        parts.hour.unwrap_or(0),
        parts.minute,
        parts.second.min(59),
        parts.nanos,
    )?;
    let offset_seconds = parts.offset.unwrap_or(0);
    let offset = FixedOffset::east_opt(offset_seconds)?;
    let time = offset.from_local_datetime(&date.and_time(time)).single()?;
    let zone = (parts.offset.is_none() || parts.utc).then_some("UTC");
    Some(Moment { time, zone })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theme::engine::liquid::filters::dates::strftime::strftime;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 3, 15, 0, 0)
            .single()
            .expect("now")
    }

    fn parsed(text: &str) -> String {
        match parse_time(&text.to_lowercase(), now()) {
            Some(moment) => strftime("%Y-%m-%d %H:%M:%S.%L %z %Z", &moment),
            None => "none".to_string(),
        }
    }

    #[test]
    fn iso_8601() {
        assert_eq!(parsed("2016-03-14"), "2016-03-14 00:00:00.000 +0000 UTC");
        assert_eq!(
            parsed("2016-03-14T10:05:30Z"),
            "2016-03-14 10:05:30.000 +0000 UTC"
        );
        assert_eq!(
            parsed("2016-03-14T10:05:30.250-05:00"),
            "2016-03-14 10:05:30.250 -0500 "
        );
        assert_eq!(
            parsed("2016-03-14 10:05:30 +0100"),
            "2016-03-14 10:05:30.000 +0100 "
        );
        assert_eq!(
            parsed("2016-03-14 10:05"),
            "2016-03-14 10:05:00.000 +0000 UTC"
        );
    }

    #[test]
    fn month_names_and_rfc_2822() {
        assert_eq!(
            parsed("March 14, 2016"),
            "2016-03-14 00:00:00.000 +0000 UTC"
        );
        assert_eq!(
            parsed("Mar 14 2016 10pm"),
            "2016-03-14 22:00:00.000 +0000 UTC"
        );
        assert_eq!(parsed("14 March 2016"), "2016-03-14 00:00:00.000 +0000 UTC");
        assert_eq!(parsed("14-Mar-2016"), "2016-03-14 00:00:00.000 +0000 UTC");
        assert_eq!(
            parsed("Mon, 14 Mar 2016 10:00:00 +0000"),
            "2016-03-14 10:00:00.000 +0000 "
        );
        assert_eq!(
            parsed("Mon Mar 14 10:00:00 UTC 2016"),
            "2016-03-14 10:00:00.000 +0000 UTC"
        );
        assert_eq!(
            parsed("Sun, 13 Mar 2016 10:00:00 EST"),
            "2016-03-13 10:00:00.000 -0500 "
        );
        assert_eq!(parsed("March 2016"), "2016-03-01 00:00:00.000 +0000 UTC");
        assert_eq!(
            parsed("March 14th, 2016 at 3:30 p.m."),
            "2016-03-14 15:30:00.000 +0000 UTC"
        );
    }

    #[test]
    fn slashes_dots_and_bare_times() {
        assert_eq!(parsed("2016/03/14"), "2016-03-14 00:00:00.000 +0000 UTC");
        assert_eq!(parsed("03/14/2016"), "2016-03-14 00:00:00.000 +0000 UTC");
        assert_eq!(parsed("14.03.2016"), "2016-03-14 00:00:00.000 +0000 UTC");
        assert_eq!(parsed("03/14/16"), "2016-03-14 00:00:00.000 +0000 UTC");
        assert_eq!(parsed("10:30"), "2026-12-03 10:30:00.000 +0000 UTC");
        assert_eq!(parsed("March 14"), "2026-03-14 00:00:00.000 +0000 UTC");
    }

    #[test]
    fn nonsense_is_not_a_date() {
        assert_eq!(parsed("hello"), "none");
        assert_eq!(parsed("-1152098955"), "none");
        assert_eq!(parsed("2016-02-30"), "none");
        assert_eq!(parsed(""), "none");
        assert_eq!(parsed("13:99"), "none");
    }
}
