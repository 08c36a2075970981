//! Checksums and range checks that turn "looks like" into "is".

/// Luhn (mod 10) check over the ASCII digits of `s`; other bytes are skipped.
pub fn luhn_ok(s: &str) -> bool {
    let mut sum = 0u32;
    let mut double = false;
    let mut count = 0;
    for b in s.bytes().rev().filter(u8::is_ascii_digit) {
        let mut d = u32::from(b - b'0');
        if double {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
        double = !double;
        count += 1;
    }
    count > 0 && sum.is_multiple_of(10)
}

/// True when `digits` (ASCII digits only) has the prefix and length of a known card brand:
/// Visa, Mastercard (incl. 2-series), Amex, Discover, JCB, Diners, UnionPay, Maestro.
pub fn card_brand_ok(digits: &str) -> bool {
    let n = digits.len();
    let p = |k: usize| {
        digits
            .get(..k)
            .and_then(|x| x.parse::<u32>().ok())
            .unwrap_or(0)
    };
    let visa = digits.starts_with('4') && matches!(n, 13 | 16 | 19);
    let mastercard = ((51..=55).contains(&p(2)) || (2221..=2720).contains(&p(4))) && n == 16;
    let amex = matches!(p(2), 34 | 37) && n == 15;
    let discover =
        (p(4) == 6011 || p(2) == 65 || (644..=649).contains(&p(3))) && (16..=19).contains(&n);
    let jcb = (3528..=3589).contains(&p(4)) && (16..=19).contains(&n);
    let diners =
        ((300..=305).contains(&p(3)) || matches!(p(2), 36 | 38 | 39)) && (14..=19).contains(&n);
    let unionpay = p(2) == 62 && (16..=19).contains(&n);
    let maestro = matches!(p(2), 50 | 56 | 57 | 58 | 63 | 67) && (12..=19).contains(&n);
    visa || mastercard || amex || discover || jcb || diners || unionpay || maestro
}

/// A US SSN in the issued ranges: area not 000, 666 or 9xx; group not 00; serial not 0000.
pub fn ssn_ok(digits: &str) -> bool {
    if digits.len() != 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let area: u32 = digits[..3].parse().unwrap_or(0);
    let group: u32 = digits[3..5].parse().unwrap_or(0);
    let serial: u32 = digits[5..].parse().unwrap_or(0);
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

/// Shannon-style diversity test used for "a value after an ambiguous key": at least 16 bytes
/// with letters and digits mixed.
pub fn looks_random(s: &str) -> bool {
    let letters = s.bytes().filter(u8::is_ascii_alphabetic).count();
    let digits = s.bytes().filter(u8::is_ascii_digit).count();
    s.len() >= 16 && letters >= 4 && digits >= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn() {
        assert!(luhn_ok("4111111111111111"));
        assert!(luhn_ok("4111 1111 1111 1111"));
        assert!(!luhn_ok("4111111111111112"));
        assert!(luhn_ok("378282246310005"));
        assert!(!luhn_ok(""));
    }

    #[test]
    fn brands() {
        assert!(card_brand_ok("4111111111111111"));
        assert!(card_brand_ok("2223003122003222"));
        assert!(card_brand_ok("4000000000000000006"));
        assert!(card_brand_ok("378282246310005"));
        assert!(card_brand_ok("30071376118910"));
        assert!(!card_brand_ok("1709815042630128"), "epoch microseconds");
        assert!(!card_brand_ok("9092685890953655332"));
    }

    #[test]
    fn ssn_ranges() {
        assert!(ssn_ok("584592811"));
        assert!(!ssn_ok("000121234"));
        assert!(!ssn_ok("666121234"));
        assert!(!ssn_ok("900121234"));
        assert!(!ssn_ok("123001234"));
        assert!(!ssn_ok("123450000"));
        assert!(!ssn_ok("12345678"));
    }
}
