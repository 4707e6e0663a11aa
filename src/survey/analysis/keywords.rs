//! The most frequent keywords of free-text answers: Chinese word segmentation
//! by jieba-rs (its built-in dictionary of about 350,000 words), minus stop
//! words, punctuation, numbers and single characters (almost all Chinese
//! function words are one character; content words are mostly two or more).
//!
//! A keyword counts once per answer that has it, so one long answer repeating
//! a word does not outweigh many answers mentioning it.

use std::{
    collections::{HashMap, HashSet},
    sync::OnceLock,
};

use jieba_rs::Jieba;

/// Common function words and fillers of questionnaire answers. Single
/// characters are dropped anyway; these are the longer ones.
const STOP_WORDS: &[&str] = &[
    "一个",
    "一些",
    "一下",
    "一样",
    "一直",
    "一点",
    "不是",
    "不会",
    "不能",
    "不要",
    "为了",
    "之后",
    "也是",
    "了解",
    "人员",
    "什么",
    "他们",
    "以及",
    "以后",
    "但是",
    "你们",
    "其他",
    "其实",
    "具体",
    "关于",
    "减少",
    "出现",
    "可以",
    "可能",
    "各种",
    "同时",
    "问题",
    "因为",
    "因此",
    "大家",
    "如何",
    "如果",
    "对于",
    "就是",
    "并且",
    "应该",
    "建议",
    "我们",
    "所以",
    "比较",
    "没有",
    "然后",
    "现在",
    "由于",
    "希望",
    "能够",
    "自己",
    "觉得",
    "进行",
    "还是",
    "还有",
    "这个",
    "这些",
    "这样",
    "那个",
    "那些",
    "需要",
    "非常",
    "方面",
    "目前",
    "相关",
    "情况",
    "有关",
    "通过",
    "已经",
    "或者",
    "而且",
    "只是",
    "还要",
    "怎么",
    "为什么",
    "多少",
    "有些",
    "有的",
    "之类",
    "等等",
    "the",
    "and",
    "for",
    "are",
    "with",
    "that",
    "this",
    "not",
    "but",
    "have",
    "has",
    "was",
    "were",
    "you",
    "our",
    "they",
    "their",
    "more",
    "should",
    "would",
    "could",
    "can",
    "will",
    "from",
    "about",
];

/// The segmenter, loaded once (its dictionary takes a moment and some
/// megabytes; nothing else needs it).
fn jieba() -> &'static Jieba {
    static J: OnceLock<Jieba> = OnceLock::new();
    J.get_or_init(Jieba::new)
}

fn stop_words() -> &'static HashSet<&'static str> {
    static S: OnceLock<HashSet<&'static str>> = OnceLock::new();
    S.get_or_init(|| STOP_WORDS.iter().copied().collect())
}

/// Whether a segment is worth counting: mostly letters (so "5g" is one,
/// the "123x" left of a masked ID number is not).
fn is_keyword(w: &str) -> bool {
    let chars = w.chars().count();
    let letters = w.chars().filter(|c| c.is_alphabetic()).count();
    chars >= 2
        && letters > 0
        && letters >= chars - letters
        && !w
            .chars()
            .any(|c| c.is_whitespace() || c.is_ascii_punctuation())
        && !stop_words().contains(w)
}

/// The words of one text worth counting, each once. Personal numbers are
/// masked first, so no part of one becomes a keyword, whoever reads them.
pub fn words(text: &str) -> HashSet<String> {
    let text = crate::privacy::mask(text);
    jieba()
        .cut(&text, true)
        .into_iter()
        .map(|t| t.word.trim().to_lowercase())
        .filter(|w| is_keyword(w))
        .collect()
}

/// The `top` words in most answers, with how many answers have each; ties
/// in order of the words.
pub fn top(texts: &[String], top: usize) -> Vec<(String, u64)> {
    let mut counts: HashMap<String, u64> = HashMap::new();
    for t in texts {
        for w in words(t) {
            *counts.entry(w).or_insert(0) += 1;
        }
    }
    let mut v: Vec<(String, u64)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(top);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_words_not_function_words() {
        let texts = [
            "希望多建一些骑手驿站，夏天可以休息",
            "骑手驿站太少了",
            "社保缴费太贵，我们希望平台帮忙缴纳社保",
            "The rest stations are too few",
        ]
        .map(String::from);
        let t = top(&texts, 5);
        assert_eq!(t[0], ("驿站".to_string(), 2), "{t:?}");
        assert!(t.contains(&("骑手".to_string(), 2)), "{t:?}");
        let all_counts = top(&texts, 100);
        assert!(
            all_counts.contains(&("社保".to_string(), 1)),
            "once per answer: {all_counts:?}"
        );
        let all: Vec<String> = top(&texts, 100).into_iter().map(|(w, _)| w).collect();
        for stop in ["希望", "我们", "一些", "可以", "the", "，", "了"] {
            assert!(!all.iter().any(|w| w == stop), "{stop} in {all:?}");
        }
        assert!(all.contains(&"stations".to_string()), "{all:?}");
    }

    #[test]
    fn personal_numbers_are_never_keywords() {
        let texts = [
            "请联系我13812345678，张师傅",
            "请联系我 138-1234-5678",
            "身份证11010519491231002X请核实",
            "身份证11010519491231002x请核实",
            "座机021-12345678请联系",
            "5G信号不好",
        ]
        .map(String::from);
        let all: Vec<String> = top(&texts, 100).into_iter().map(|(w, _)| w).collect();
        for w in &all {
            assert!(
                !w.chars().any(|c| c.is_ascii_digit()) || w == "5g",
                "{w} in {all:?}"
            );
        }
        assert!(all.contains(&"联系".to_string()), "{all:?}");
        assert!(all.contains(&"5g".to_string()), "{all:?}");
    }
}
