//! "Did you mean …?" for a misspelled key, rule ID or name: the nearest known word by
//! Damerau–Levenshtein distance (a swapped pair of letters counts once), when it is near enough
//! to be a typo rather than another word.

/// The candidate nearest to `word`, if it is within 2 edits and within a third of `word`'s
/// length (so short words do not match everything). `None` when `word` is itself a candidate.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        if candidate == word {
            return None;
        }
        let d = strsim::damerau_levenshtein(word, candidate);
        if d <= 2 && d < word.chars().count() / 3 + 1 && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, candidate));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_only_near_misses() {
        let keys = ["upstream_tag_template", "files_to_sync", "specfile_path", "jobs"];
        assert_eq!(did_you_mean("upstream_tag_templte", keys), Some("upstream_tag_template"));
        assert_eq!(did_you_mean("files_to_snyc", keys), Some("files_to_sync"));
        assert_eq!(did_you_mean("specfile_path", keys), None);
        assert_eq!(did_you_mean("some_brand_new_packit_key", keys), None);
        assert_eq!(did_you_mean("jbos", keys), Some("jobs"), "a swap is one edit");
        assert_eq!(did_you_mean("jab", keys), None, "too short for two edits");
        assert_eq!(did_you_mean("image/diff-id-mismatc", ["image/diff-id-mismatch"]), Some("image/diff-id-mismatch"));
    }
}
