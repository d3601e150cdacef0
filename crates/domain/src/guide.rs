//! The procedure guide's search: "thủ tục khai sinh", "lam giay phep xay dung can gi", "cho em
//! hỏi đăng ký kết hôn cần những giấy tờ gì ạ" find the procedure, with or without diacritics,
//! with typos, in full sentences; a question about anything else finds nothing, so that it goes
//! to staff as before.
//!
//! How, in order:
//! 1. The question is folded (`text::fold_vi`), common abbreviations are spelled out (`cccd`,
//!    `sổ đỏ`), and filler is dropped (`cho em hỏi`, `cần những gì`, `thủ tục`, `hồ sơ`).
//! 2. Each remaining word is matched to the catalogue's vocabulary: exactly, within one edit
//!    (two for long words; a swap counts as one), or as two words typed together (`khaisinh`).
//! 3. A procedure scores the IDF weight of the words it shares with the question (name and
//!    keywords in full, sector at half), plus a bonus for each pair of neighbouring words it
//!    has in the same order.
//! 4. The best procedure answers when its words explain most of the question
//!    (`MIN_QUESTION_COVERAGE`) and a fair part of its own name (`MIN_NAME_COVERAGE`), with at
//!    least one distinctive word. Up to two more follow when they score nearly as well.

use std::collections::{HashMap, HashSet};

use crate::procedure::{Procedure, ProcedureCatalogue};
use crate::text::fold_vi;

/// Share of the question's weight the best procedure must explain.
pub const MIN_QUESTION_COVERAGE: f32 = 0.6;
/// Share of the head of the best procedure's name the question must contain.
pub const MIN_NAME_COVERAGE: f32 = 0.5;
/// At most this many procedures in one answer.
pub const MAX_ANSWERS: usize = 3;
/// A runner-up is shown when it scores at least this share of the best.
const RUNNER_UP: f32 = 0.85;

/// Abbreviations and everyday names, folded, spelled out as the catalogue writes them.
const ALIASES: &[(&str, &str)] = &[
    ("cccd", "the can cuoc"),
    ("can cuoc cong dan", "can cuoc"),
    ("cmnd", "chung minh nhan dan"),
    ("gpxd", "giay phep xay dung"),
    ("gplx", "giay phep lai xe"),
    ("bhyt", "bao hiem y te"),
    ("bhxh", "bao hiem xa hoi"),
    ("dkkd", "dang ky kinh doanh"),
    ("hkd", "ho kinh doanh"),
    ("so do", "giay chung nhan quyen su dung dat"),
    (
        "so hong",
        "giay chung nhan quyen su dung dat quyen so huu nha o",
    ),
    ("giay khai sinh", "khai sinh"),
    ("doc than", "xac nhan tinh trang hon nhan"),
    ("cong chung", "chung thuc"),
    ("nhap ho khau", "dang ky thuong tru"),
    ("lam giay ket hon", "ket hon"),
    ("dang ki", "dang ky"),
    ("ubnd", "uy ban nhan dan"),
];

/// Phrases that say "I have a question" and nothing about which procedure, folded. Removed
/// before single words, so that `hồ sơ` goes while `hộ kinh doanh` stays.
const FILLER_PHRASES: &[&str] = &[
    "thu tuc",
    "ho so",
    "giay to",
    "nhu the nao",
    "the nao",
    "bao lau",
    "bao nhieu",
    "o dau",
    "can gi",
    "nhung gi",
    "cho hoi",
    "xin hoi",
    "lam sao",
    "giai dap",
    "huong dan",
    "muon biet",
    "can chuan bi",
    "phai lam",
    "tai lieu",
    "le phi",
    // "for my child": the child is who it is for, not a procedure about children
    "cho con",
    "cho be",
    "cho chau",
    "xin chao",
    "cam on",
    "anh chi",
    "the nao",
];

/// Single filler words, folded; none of them names a procedure on its own.
const FILLER_WORDS: &[&str] = &[
    "lam", "can", "gi", "toi", "minh", "em", "anh", "chi", "muon", "xin", "hoi", "cho", "duoc",
    "khong", "ko", "k", "co", "la", "va", "cua", "de", "ve", "a", "oi", "nhe", "giup", "voi",
    "thi", "nhung", "phai", "gom", "nao", "dau", "gium", "ah", "vay", "roi", "nay", "mot", "cac",
    "ai", "u",
];

/// Field weights: a word of the name or of the keywords counts in full, of the sector by half.
const NAME: f32 = 1.0;
const SECTOR: f32 = 0.5;

/// Where a procedure name's qualifiers start ("Cấp thẻ căn cước | cho người từ đủ 14 tuổi"):
/// a question need only contain the head of the name.
const QUALIFIERS: &[&str] = &[
    " doi voi ",
    " cho ",
    " trong truong hop ",
    " thuc hien ",
    " do co quan ",
    " theo ",
    " co yeu to ",
];

/// A searchable catalogue, built once per catalogue version.
#[derive(Debug)]
pub struct Guide {
    catalogue: ProcedureCatalogue,
    words: HashMap<String, u32>,
    vocabulary: Vec<String>,
    idf: Vec<f32>,
    /// Per word: the procedures that have it, with the field weight.
    postings: Vec<Vec<(u32, f32)>>,
    /// Neighbouring name/keyword words, in order, and the procedures that have them.
    pairs: HashMap<(u32, u32), Vec<u32>>,
    /// Per procedure: the words of the head of its name, and their summed IDF; the same of
    /// the whole name.
    head: Vec<HashSet<u32>>,
    head_weight: Vec<f32>,
    name_weight: Vec<f32>,
    /// The weight of a question word the catalogue does not know.
    unknown_weight: f32,
}

/// One procedure found, with how well it matched (for logs and statistics).
#[derive(Debug, Clone, PartialEq)]
pub struct Found<'a> {
    pub procedure: &'a Procedure,
    /// The ranking score: shared weight, neighbour bonus, and the name head's coverage.
    pub score: f32,
    /// Share of the question's weight this procedure explains.
    pub question_coverage: f32,
    /// Share of the head of the procedure's name found in the question.
    pub name_coverage: f32,
    /// Two neighbouring words of the question are neighbours in the name (or keywords).
    pub pair: bool,
}

impl Found<'_> {
    /// Whether this match is good enough to answer a citizen with.
    pub fn is_answer(&self) -> bool {
        let (q, n) = (self.question_coverage, self.name_coverage);
        // most of the question, and a fair part of the name
        let plain = q >= MIN_QUESTION_COVERAGE && n >= MIN_NAME_COVERAGE;
        // nearly all of the question, in the name's own word order ("sang tên xe")
        let phrase = q >= 0.8 && self.pair;
        // a long sentence around the whole head of a procedure's name
        let named = n >= 0.75 && q >= 0.25 && self.pair;
        plain || phrase || named
    }
}

/// The question's words, folded, expanded and without filler.
pub fn question_words(question: &str) -> Vec<String> {
    let mut folded = format!(" {} ", fold_vi(question));
    for (short, long) in ALIASES {
        folded = folded.replace(&format!(" {short} "), &format!(" {long} "));
    }
    for phrase in FILLER_PHRASES {
        while folded.contains(&format!(" {phrase} ")) {
            folded = folded.replace(&format!(" {phrase} "), " ");
        }
    }
    folded
        .split_whitespace()
        .filter(|w| !FILLER_WORDS.contains(w))
        .map(str::to_string)
        .collect()
}

fn words_of(text: &str) -> Vec<String> {
    fold_vi(text)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// The name up to its first qualifier or bracket, as question words.
fn head_of(name: &str) -> Vec<String> {
    let cut = name.find(['(', ';', ':']).map_or(name, |i| &name[..i]);
    let mut folded = format!(" {} ", fold_vi(cut));
    for q in QUALIFIERS {
        if let Some(i) = folded.find(q)
            && i > 0
        {
            folded.truncate(i + 1);
        }
    }
    question_words(&folded)
}

/// "kyy" → "ky", "thuongtruu" → "thuongtru": a letter typed twice.
fn undouble(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars() {
        if !out.ends_with(c) {
            out.push(c);
        }
    }
    out
}

impl Guide {
    pub fn new(catalogue: ProcedureCatalogue) -> Guide {
        let mut words: HashMap<String, u32> = HashMap::new();
        let mut vocabulary = Vec::new();
        let mut postings: Vec<Vec<(u32, f32)>> = Vec::new();
        let mut pairs: HashMap<(u32, u32), Vec<u32>> = HashMap::new();
        let mut id_of = |w: &str, postings: &mut Vec<Vec<(u32, f32)>>| -> u32 {
            *words.entry(w.to_string()).or_insert_with(|| {
                vocabulary.push(w.to_string());
                postings.push(Vec::new());
                (vocabulary.len() - 1) as u32
            })
        };
        let mut head = Vec::new();
        let mut named: Vec<HashSet<u32>> = Vec::new();
        for (i, p) in catalogue.procedures.iter().enumerate() {
            let i = i as u32;
            let mut weights: HashMap<u32, f32> = HashMap::new();
            for phrase in std::iter::once(&p.name).chain(p.keywords.iter()) {
                let ids: Vec<u32> = question_words(phrase)
                    .iter()
                    .map(|w| id_of(w, &mut postings))
                    .collect();
                for pair in ids.windows(2) {
                    let list = pairs.entry((pair[0], pair[1])).or_default();
                    if list.last() != Some(&i) {
                        list.push(i);
                    }
                }
                for id in ids {
                    weights.insert(id, NAME);
                }
            }
            named.push(
                question_words(&p.name)
                    .iter()
                    .map(|w| id_of(w, &mut postings))
                    .collect(),
            );
            for w in words_of(&p.sector) {
                let id = id_of(&w, &mut postings);
                weights.entry(id).or_insert(SECTOR);
            }
            for (id, weight) in weights {
                postings[id as usize].push((i, weight));
            }
            let ids: HashSet<u32> = head_of(&p.name)
                .iter()
                .map(|w| id_of(w, &mut postings))
                .collect();
            head.push(ids);
        }
        let n = catalogue.procedures.len().max(1) as f32;
        let idf: Vec<f32> = postings
            .iter()
            .map(|p| (1.0 + n / p.len().max(1) as f32).ln())
            .collect();
        let weigh = |sets: &[HashSet<u32>]| -> Vec<f32> {
            sets.iter()
                .map(|ids| ids.iter().map(|id| idf[*id as usize]).sum())
                .collect()
        };
        let (head_weight, name_weight) = (weigh(&head), weigh(&named));
        Guide {
            unknown_weight: 0.25 * (1.0 + n).ln(),
            catalogue,
            words,
            vocabulary,
            idf,
            postings,
            pairs,
            head,
            head_weight,
            name_weight,
        }
    }

    pub fn catalogue(&self) -> &ProcedureCatalogue {
        &self.catalogue
    }

    /// The vocabulary words a question word may stand for, with how sure the match is.
    fn candidates(&self, word: &str) -> Vec<(u32, f32)> {
        if let Some(id) = self.words.get(word) {
            return vec![(*id, 1.0)];
        }
        if let Some(id) = self.words.get(&undouble(word)) {
            return vec![(*id, 0.9)];
        }
        let len = word.chars().count();
        let max_edits = match len {
            0..=3 => 0,
            4..=6 => 1,
            _ => 2,
        };
        let mut out = Vec::new();
        if max_edits > 0 {
            for (id, v) in self.vocabulary.iter().enumerate() {
                if v.chars().count().abs_diff(len) > max_edits {
                    continue;
                }
                let d = strsim::damerau_levenshtein(word, v);
                if d <= max_edits {
                    out.push((id as u32, if d == 1 { 0.8 } else { 0.6 }));
                }
            }
        }
        if out.is_empty() {
            // two words typed together: "khaisinh"
            for (cut, _) in word.char_indices().skip(2) {
                let (a, b) = word.split_at(cut);
                if b.len() >= 2
                    && let (Some(x), Some(y)) = (self.words.get(a), self.words.get(b))
                {
                    out.push((*x, 0.9));
                    out.push((*y, 0.9));
                    break;
                }
            }
        }
        out
    }

    /// Every procedure sharing a word with the question, best first, whether or not it is
    /// good enough to answer with (`Found::is_answer`).
    pub fn rank(&self, question: &str) -> Vec<Found<'_>> {
        // a word said twice counts once
        let mut seen = HashSet::new();
        let words: Vec<String> = question_words(question)
            .into_iter()
            .filter(|w| seen.insert(w.clone()))
            .collect();
        let count = self.catalogue.procedures.len();
        let mut shared = vec![0f32; count];
        let mut in_head = vec![0f32; count];
        let mut in_name = vec![0f32; count];
        let mut total = 0f32;
        let mut matched: Vec<Vec<(u32, f32)>> = Vec::with_capacity(words.len());
        for w in &words {
            let candidates = self.candidates(w);
            total += candidates
                .iter()
                .map(|(id, sim)| sim * self.idf[*id as usize])
                .reduce(f32::max)
                .unwrap_or(self.unknown_weight);
            // per procedure: (shared weight, in its head, in its name) of this question word
            let mut per_proc: HashMap<u32, (f32, f32, f32)> = HashMap::new();
            for (id, sim) in &candidates {
                let idf = self.idf[*id as usize];
                for (p, field) in &self.postings[*id as usize] {
                    let e = per_proc.entry(*p).or_default();
                    e.0 = e.0.max(sim * idf * field);
                    if self.head[*p as usize].contains(id) {
                        e.1 = e.1.max(idf);
                    }
                    if *field == NAME {
                        e.2 = e.2.max(idf);
                    }
                }
            }
            for (p, (s, h, n)) in per_proc {
                shared[p as usize] += s;
                in_head[p as usize] += h;
                in_name[p as usize] += n;
            }
            matched.push(candidates);
        }
        // per procedure: how many neighbouring question words are neighbours in it
        let mut paired = vec![0u32; count];
        for pair in matched.windows(2) {
            let mut here: HashSet<u32> = HashSet::new();
            for (a, _) in &pair[0] {
                for (b, _) in &pair[1] {
                    here.extend(self.pairs.get(&(*a, *b)).into_iter().flatten());
                }
            }
            for p in here {
                paired[p as usize] += 1;
            }
        }
        let mut found: Vec<Found<'_>> = (0..count)
            .filter(|p| shared[*p] > 0.0 && total > 0.0)
            .map(|p| {
                let name_coverage = (in_head[p] / self.head_weight[p].max(f32::EPSILON)).min(1.0);
                let whole = (in_name[p] / self.name_weight[p].max(f32::EPSILON)).min(1.0);
                let bonus = paired[p] as f32 * self.unknown_weight;
                Found {
                    procedure: &self.catalogue.procedures[p],
                    // the head's coverage ranks first; the whole name's prefers, of two names
                    // with the same head, the one with fewer words the question lacks
                    score: (shared[p] + bonus) * (0.3 + 0.6 * name_coverage + 0.1 * whole),
                    question_coverage: (shared[p] / total).min(1.0),
                    name_coverage,
                    pair: paired[p] > 0,
                }
            })
            .collect();
        found.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then(b.name_coverage.total_cmp(&a.name_coverage))
                .then(a.procedure.code.cmp(&b.procedure.code))
        });
        found
    }

    /// The best 0-3 procedures for a citizen's question; none when nothing fits well enough.
    pub fn search(&self, question: &str) -> Vec<Found<'_>> {
        let found = self.rank(question);
        let Some(best) = found.first() else {
            return Vec::new();
        };
        // at least one distinctive word, and a good enough match
        if best.score < 2.0 * self.unknown_weight || !best.is_answer() {
            return Vec::new();
        }
        let floor = best.score * RUNNER_UP;
        found
            .into_iter()
            .take_while(|f| f.score >= floor)
            .filter(Found::is_answer)
            .take(MAX_ANSWERS)
            .collect()
    }
}

impl Procedure {
    /// What a guide answer shows of this procedure.
    pub fn guide_entry(&self) -> crate::catalogue::GuideEntry {
        crate::catalogue::GuideEntry {
            name: self.name.clone(),
            agency: self.agency.clone(),
            documents: self.documents.clone(),
            fees: self.fees.clone(),
            processing_time: self.processing_time.clone(),
            online_url: self.online_url.clone(),
        }
    }
}
