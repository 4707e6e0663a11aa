//! The expression language of skip logic (`relevant`) and constraints, in the
//! XLSForm / ODK XPath spelling: `${age} >= 16 and ${age} <= 65`,
//! `selected(${groups}, 'courier')`, `regex(., '^1[3-9][0-9]{9}$')`.
//!
//! An expression is parsed once ([`parse`]) into an [`Expr`] tree that is stored
//! with the form as JSON. The server evaluates the tree ([`eval`]) when a
//! response arrives; the page evaluates the *same* JSON tree with
//! `assets/survey-expr.js` as the respondent answers. One fixture table
//! (`tests/fixtures/expressions.json`) drives both. The language for survey
//! designers is described in `docs/expressions.md`.
//!
//! Nothing here panics on any input: the source, the pattern of `regex()`, the
//! nesting depth and the compiled regex size are all bounded.

use std::{collections::BTreeSet, fmt};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{date::Day, i18n::Lang};

#[cfg(test)]
mod tests;

/// The longest expression accepted, in characters.
pub const MAX_CHARS: usize = 4000;
/// The deepest tree accepted (nesting of operators, parentheses and calls).
pub const MAX_DEPTH: usize = 64;
/// The longest `regex()` pattern accepted, in characters.
pub const MAX_PATTERN_CHARS: usize = 500;
/// Compiled-program and lazy-DFA budgets of one `regex()` pattern, in bytes.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

// ---------------------------------------------------------------------------
// The tree

/// A parsed expression. Serialised as JSON with a `k` (kind) tag; the page's
/// evaluator reads exactly this shape.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "k", rename_all = "kebab-case")]
pub enum Expr {
    /// A number literal (never negative: `-3` is `Neg(3)`).
    Num { v: f64 },
    /// A string literal.
    Str { v: String },
    /// `${name}`: the answer to another question, `''` when unanswered or hidden.
    Field { name: String },
    /// `.`: the value of the question the expression belongs to.
    Current,
    /// Unary minus.
    Neg { x: Box<Expr> },
    /// A binary operator.
    Bin { op: Op, l: Box<Expr>, r: Box<Expr> },
    /// A function call other than `regex()`.
    Call { f: Func, args: Vec<Expr> },
    /// `regex(x, 'pattern')`: the pattern is a literal, checked and compiled once.
    Regex { x: Box<Expr>, pattern: Pattern },
}

/// Binary operators, serialised in their XPath spelling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    #[serde(rename = "or")]
    Or,
    #[serde(rename = "and")]
    And,
    #[serde(rename = "=")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = "+")]
    Add,
    #[serde(rename = "-")]
    Sub,
    #[serde(rename = "*")]
    Mul,
    #[serde(rename = "div")]
    Div,
    #[serde(rename = "mod")]
    Mod,
}

impl Op {
    /// Binding strength: `or` 1 < `and` 2 < `= !=` 3 < `< <= > >=` 4 < `+ -` 5 <
    /// `* div mod` 6 (unary minus is 7). All are left-associative.
    pub fn precedence(self) -> u8 {
        match self {
            Op::Or => 1,
            Op::And => 2,
            Op::Eq | Op::Ne => 3,
            Op::Lt | Op::Le | Op::Gt | Op::Ge => 4,
            Op::Add | Op::Sub => 5,
            Op::Mul | Op::Div | Op::Mod => 6,
        }
    }

    /// The spelling in expressions.
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Or => "or",
            Op::And => "and",
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Add => "+",
            Op::Sub => "-",
            Op::Mul => "*",
            Op::Div => "div",
            Op::Mod => "mod",
        }
    }
}

/// The functions (besides `regex`), serialised by their XPath names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Func {
    Not,
    True,
    False,
    Selected,
    CountSelected,
    StringLength,
    If,
    Today,
    Number,
    Int,
    String,
    Coalesce,
    Concat,
}

impl Func {
    /// Every function, for documentation and tests.
    pub const ALL: [Func; 13] = [
        Func::Not,
        Func::True,
        Func::False,
        Func::Selected,
        Func::CountSelected,
        Func::StringLength,
        Func::If,
        Func::Today,
        Func::Number,
        Func::Int,
        Func::String,
        Func::Coalesce,
        Func::Concat,
    ];

    /// The name in expressions.
    pub fn name(self) -> &'static str {
        match self {
            Func::Not => "not",
            Func::True => "true",
            Func::False => "false",
            Func::Selected => "selected",
            Func::CountSelected => "count-selected",
            Func::StringLength => "string-length",
            Func::If => "if",
            Func::Today => "today",
            Func::Number => "number",
            Func::Int => "int",
            Func::String => "string",
            Func::Coalesce => "coalesce",
            Func::Concat => "concat",
        }
    }

    fn from_name(name: &str) -> Option<Func> {
        Func::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Accepted argument counts: (least, most).
    fn arity(self) -> (usize, usize) {
        match self {
            Func::True | Func::False | Func::Today => (0, 0),
            Func::Not | Func::CountSelected | Func::Number | Func::Int | Func::String => (1, 1),
            // `string-length()` is `string-length(.)`, as in XPath.
            Func::StringLength => (0, 1),
            Func::Selected | Func::Coalesce => (2, 2),
            Func::If => (3, 3),
            Func::Concat => (1, 64),
        }
    }
}

/// The pattern of `regex()`: the designer's spelling (`src`) and its translation
/// (`re`) into the syntax that means the same to Rust's `regex` crate and to a
/// JavaScript `RegExp` with the `u` flag. Compiled once, when parsed or loaded.
#[derive(Clone, Debug)]
pub struct Pattern {
    src: String,
    re: String,
    compiled: regex::Regex,
}

impl Pattern {
    /// Checks, translates and compiles a pattern; the error is a message key and
    /// a detail naming the refused construct.
    pub fn new(src: &str) -> Result<Pattern, (&'static str, String)> {
        if src.chars().count() > MAX_PATTERN_CHARS {
            return Err(("expr-err-regex-too-long", MAX_PATTERN_CHARS.to_string()));
        }
        let re = translate_pattern(src).map_err(|d| ("expr-err-regex-unsupported", d))?;
        let compiled = regex::RegexBuilder::new(&re)
            .size_limit(REGEX_SIZE_LIMIT)
            .dfa_size_limit(REGEX_SIZE_LIMIT)
            .nest_limit(50)
            .build()
            .map_err(|e| {
                let detail = match e {
                    regex::Error::CompiledTooBig(_) => "too big".to_string(),
                    _ => "syntax".to_string(),
                };
                ("expr-err-regex-invalid", detail)
            })?;
        Ok(Pattern {
            src: src.to_string(),
            re,
            compiled,
        })
    }

    /// The pattern as the designer wrote it.
    pub fn source(&self) -> &str {
        &self.src
    }

    /// The translated pattern both evaluators compile.
    pub fn translated(&self) -> &str {
        &self.re
    }

    /// Whether the pattern matches somewhere in `text` (anchor with `^…$`).
    pub fn is_match(&self, text: &str) -> bool {
        self.compiled.is_match(text)
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Pattern) -> bool {
        self.src == other.src
    }
}

#[derive(Serialize, Deserialize)]
struct PatternJson {
    src: String,
    #[serde(default)]
    re: String,
}

impl Serialize for Pattern {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        PatternJson {
            src: self.src.clone(),
            re: self.re.clone(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Pattern {
    /// Recomputes the translation from `src` (a stored `re` is not trusted).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let j = PatternJson::deserialize(d)?;
        Pattern::new(&j.src).map_err(|(key, detail)| {
            serde::de::Error::custom(format!("regex pattern refused: {key} {detail}"))
        })
    }
}

impl Expr {
    /// The names of the questions the expression reads (`${name}`), sorted.
    pub fn references(&self) -> BTreeSet<&str> {
        let mut out = BTreeSet::new();
        self.walk(&mut |e| {
            if let Expr::Field { name } = e {
                out.insert(name.as_str());
            }
        });
        out
    }

    /// Whether the expression reads `.`, the question's own value.
    pub fn uses_current(&self) -> bool {
        let mut found = false;
        self.walk(&mut |e| found |= matches!(e, Expr::Current));
        found
    }

    fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        f(self);
        match self {
            Expr::Num { .. } | Expr::Str { .. } | Expr::Field { .. } | Expr::Current => {}
            Expr::Neg { x } | Expr::Regex { x, .. } => x.walk(f),
            Expr::Bin { l, r, .. } => {
                l.walk(f);
                r.walk(f);
            }
            Expr::Call { args, .. } => args.iter().for_each(|a| a.walk(f)),
        }
    }

    fn precedence(&self) -> u8 {
        match self {
            Expr::Bin { op, .. } => op.precedence(),
            Expr::Neg { .. } => 7,
            _ => 8,
        }
    }
}

// ---------------------------------------------------------------------------
// Canonical syntax

impl fmt::Display for Expr {
    /// The canonical spelling: single spaces around operators, the fewest
    /// parentheses, single quotes unless the text holds one. Parsing it gives
    /// the same tree back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Num { v } => write!(f, "{v}"),
            Expr::Str { v } => write_literal(f, v),
            Expr::Field { name } => write!(f, "${{{name}}}"),
            Expr::Current => f.write_str("."),
            Expr::Neg { x } => {
                f.write_str("-")?;
                write_operand(f, x, x.precedence() < 7)
            }
            Expr::Bin { op, l, r } => {
                let p = op.precedence();
                write_operand(f, l, l.precedence() < p)?;
                write!(f, " {} ", op.symbol())?;
                write_operand(f, r, r.precedence() <= p)
            }
            Expr::Call { f: func, args } => {
                write!(f, "{}(", func.name())?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_str(")")
            }
            Expr::Regex { x, pattern } => {
                write!(f, "regex({x}, ")?;
                write_literal(f, &pattern.src)?;
                f.write_str(")")
            }
        }
    }
}

fn write_operand(f: &mut fmt::Formatter<'_>, e: &Expr, parens: bool) -> fmt::Result {
    if parens {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

/// XPath strings have no escapes: a text holding both quote kinds is written as
/// a `concat()` of pieces (which re-parses as a call, not a literal).
fn write_literal(f: &mut fmt::Formatter<'_>, v: &str) -> fmt::Result {
    match (v.contains('\''), v.contains('"')) {
        (false, _) => write!(f, "'{v}'"),
        (true, false) => write!(f, "\"{v}\""),
        (true, true) => {
            f.write_str("concat(")?;
            for (i, piece) in v.split('\'').enumerate() {
                if i > 0 {
                    f.write_str(", \"'\", ")?;
                }
                write!(f, "'{piece}'")?;
            }
            f.write_str(")")
        }
    }
}

// ---------------------------------------------------------------------------
// Errors

/// Why an expression was refused: where (a character offset, from 0), a message
/// key of `locales/*/survey.ftl`, and a detail shown in the message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{key} at character {pos}: {detail}")]
pub struct ParseError {
    pub pos: usize,
    pub key: &'static str,
    pub detail: String,
}

impl ParseError {
    fn new(pos: usize, key: &'static str, detail: impl Into<String>) -> ParseError {
        ParseError {
            pos,
            key,
            detail: detail.into(),
        }
    }

    /// The message in the reader's language, e.g. "第 5 个字符：未知的函数 foo".
    pub fn message(&self, lang: Lang) -> String {
        let text = lang.ta(
            self.key,
            &[
                ("detail", self.detail.clone()),
                ("pos", (self.pos + 1).to_string()),
            ],
        );
        lang.ta(
            "expr-err-at",
            &[("pos", (self.pos + 1).to_string()), ("message", text)],
        )
    }
}

/// Every message key a [`ParseError`] can carry.
pub const ERROR_KEYS: &[&str] = &[
    "expr-err-empty",
    "expr-err-too-long",
    "expr-err-too-deep",
    "expr-err-unexpected-char",
    "expr-err-fullwidth",
    "expr-err-use-instead",
    "expr-err-unterminated-string",
    "expr-err-field-name",
    "expr-err-bare-name",
    "expr-err-unknown-function",
    "expr-err-arity",
    "expr-err-expected",
    "expr-err-unexpected",
    "expr-err-end",
    "expr-err-regex-literal",
    "expr-err-regex-too-long",
    "expr-err-regex-unsupported",
    "expr-err-regex-invalid",
];

// ---------------------------------------------------------------------------
// Tokens

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Num(f64),
    Str(String),
    Field(String),
    Dot,
    Name(String),
    LParen,
    RParen,
    Comma,
    Op(Op),
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Num(v) => v.to_string(),
            Tok::Str(s) => format!("'{s}'"),
            Tok::Field(n) => format!("${{{n}}}"),
            Tok::Dot => ".".into(),
            Tok::Name(n) => n.clone(),
            Tok::LParen => "(".into(),
            Tok::RParen => ")".into(),
            Tok::Comma => ",".into(),
            Tok::Op(op) => op.symbol().into(),
        }
    }
}

/// Whitespace between tokens; the full-width space an IME types is allowed too.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{3000}')
}

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// A full-width character typed by a Chinese IME, and the one meant.
fn half_width(c: char) -> Option<char> {
    Some(match c {
        '（' => '(',
        '）' => ')',
        '，' => ',',
        '＝' => '=',
        '＜' => '<',
        '＞' => '>',
        '＋' => '+',
        '－' => '-',
        '＊' => '*',
        '＄' => '$',
        '｛' => '{',
        '｝' => '}',
        '！' => '!',
        '．' | '。' => '.',
        '‘' | '’' | '＇' => '\'',
        '“' | '”' | '＂' => '"',
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32)?,
        _ => return None,
    })
}

fn tokenize(chars: &[char]) -> Result<Vec<(usize, Tok)>, ParseError> {
    let mut out = Vec::new();
    let mut i = 0;
    let at = |j: usize| chars.get(j).copied();
    while let Some(c) = at(i) {
        let start = i;
        if is_space(c) {
            i += 1;
            continue;
        }
        let use_instead = |found: &str, instead: &str| {
            Err(ParseError::new(
                start,
                "expr-err-use-instead",
                format!("{found} → {instead}"),
            ))
        };
        let tok = match c {
            '0'..='9' => {
                while at(i).is_some_and(|d| d.is_ascii_digit()) {
                    i += 1;
                }
                if at(i) == Some('.') {
                    i += 1;
                    while at(i).is_some_and(|d| d.is_ascii_digit()) {
                        i += 1;
                    }
                }
                number(chars, start, i)?
            }
            '.' if at(i + 1).is_some_and(|d| d.is_ascii_digit()) => {
                i += 1;
                while at(i).is_some_and(|d| d.is_ascii_digit()) {
                    i += 1;
                }
                number(chars, start, i)?
            }
            '.' => {
                i += 1;
                Tok::Dot
            }
            '\'' | '"' => {
                let close = chars[i + 1..].iter().position(|&q| q == c).ok_or_else(|| {
                    ParseError::new(start, "expr-err-unterminated-string", c.to_string())
                })?;
                let text: String = chars[i + 1..i + 1 + close].iter().collect();
                i += close + 2;
                Tok::Str(text)
            }
            '$' => {
                if at(i + 1) != Some('{') {
                    let name: String = chars[i + 1..]
                        .iter()
                        .take_while(|&&c| is_name_char(c))
                        .collect();
                    return use_instead(&format!("${name}"), &format!("${{{name}}}"));
                }
                let close = chars[i + 2..]
                    .iter()
                    .position(|&q| q == '}')
                    .ok_or_else(|| ParseError::new(start, "expr-err-field-name", ""))?;
                let name: String = chars[i + 2..i + 2 + close].iter().collect();
                let valid = name.chars().next().is_some_and(is_name_start)
                    && name.chars().all(is_name_char);
                if !valid {
                    return Err(ParseError::new(start, "expr-err-field-name", name));
                }
                i += close + 3;
                Tok::Field(name)
            }
            '(' => {
                i += 1;
                Tok::LParen
            }
            ')' => {
                i += 1;
                Tok::RParen
            }
            ',' => {
                i += 1;
                Tok::Comma
            }
            '+' => {
                i += 1;
                Tok::Op(Op::Add)
            }
            '-' => {
                i += 1;
                Tok::Op(Op::Sub)
            }
            '*' => {
                i += 1;
                Tok::Op(Op::Mul)
            }
            '=' if at(i + 1) == Some('=') => return use_instead("==", "="),
            '=' => {
                i += 1;
                Tok::Op(Op::Eq)
            }
            '!' if at(i + 1) == Some('=') => {
                i += 2;
                Tok::Op(Op::Ne)
            }
            '!' => return use_instead("!", "not(…)"),
            '<' if at(i + 1) == Some('>') => return use_instead("<>", "!="),
            '<' | '>' => {
                let eq = at(i + 1) == Some('=');
                i += if eq { 2 } else { 1 };
                Tok::Op(match (c, eq) {
                    ('<', false) => Op::Lt,
                    ('<', true) => Op::Le,
                    ('>', false) => Op::Gt,
                    _ => Op::Ge,
                })
            }
            '&' => return use_instead("&", "and"),
            '|' => return use_instead("|", "or"),
            '/' => return use_instead("/", "div"),
            '%' => return use_instead("%", "mod"),
            c if is_name_start(c) => {
                while at(i).is_some_and(|c| is_name_char(c) || c == ':') {
                    i += 1;
                }
                let name: String = chars[start..i].iter().collect();
                match name.as_str() {
                    "and" => Tok::Op(Op::And),
                    "or" => Tok::Op(Op::Or),
                    "div" => Tok::Op(Op::Div),
                    "mod" => Tok::Op(Op::Mod),
                    _ => Tok::Name(name),
                }
            }
            c => {
                return Err(match half_width(c) {
                    Some(h) => ParseError::new(start, "expr-err-fullwidth", format!("{c} → {h}")),
                    None => ParseError::new(start, "expr-err-unexpected-char", c.to_string()),
                });
            }
        };
        out.push((start, tok));
    }
    Ok(out)
}

fn number(chars: &[char], start: usize, end: usize) -> Result<Tok, ParseError> {
    let text: String = chars[start..end].iter().collect();
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .map(Tok::Num)
        .ok_or_else(|| ParseError::new(start, "expr-err-unexpected", text))
}

// ---------------------------------------------------------------------------
// Parser: precedence climbing over the token list

/// Parses an expression into its tree.
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    let chars: Vec<char> = src.chars().collect();
    if chars.len() > MAX_CHARS {
        return Err(ParseError::new(
            MAX_CHARS,
            "expr-err-too-long",
            MAX_CHARS.to_string(),
        ));
    }
    let toks = tokenize(&chars)?;
    if toks.is_empty() {
        return Err(ParseError::new(0, "expr-err-empty", ""));
    }
    let mut p = Parser {
        toks,
        i: 0,
        end: chars.len(),
    };
    let (e, _) = p.expr(0, 0)?;
    match p.toks.get(p.i) {
        None => Ok(e),
        Some((pos, t)) => Err(ParseError::new(*pos, "expr-err-unexpected", t.describe())),
    }
}

impl std::str::FromStr for Expr {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Expr, ParseError> {
        parse(s)
    }
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    i: usize,
    end: usize,
}

/// A subtree and its depth.
type Node = (Expr, usize);

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i).map(|(_, t)| t)
    }

    fn pos(&self) -> usize {
        self.toks.get(self.i).map_or(self.end, |(p, _)| *p)
    }

    fn next(&mut self) -> Option<(usize, Tok)> {
        let t = self.toks.get(self.i).cloned();
        self.i += 1;
        t
    }

    fn deep(&self, depth: usize) -> Result<(), ParseError> {
        if depth > MAX_DEPTH {
            Err(ParseError::new(
                self.pos(),
                "expr-err-too-deep",
                MAX_DEPTH.to_string(),
            ))
        } else {
            Ok(())
        }
    }

    fn expect(&mut self, want: Tok, what: &str) -> Result<(), ParseError> {
        match self.peek() {
            Some(t) if *t == want => {
                self.i += 1;
                Ok(())
            }
            Some(_) => Err(ParseError::new(self.pos(), "expr-err-expected", what)),
            None => Err(ParseError::new(self.end, "expr-err-end", what)),
        }
    }

    /// Operators binding at least as tightly as `min`; `nest` counts the
    /// recursion so far, so no input can exhaust the stack.
    fn expr(&mut self, min: u8, nest: usize) -> Result<Node, ParseError> {
        self.deep(nest)?;
        let (mut left, mut depth) = self.unary(nest + 1)?;
        while let Some(Tok::Op(op)) = self.peek() {
            let op = *op;
            let p = op.precedence();
            if p < min {
                break;
            }
            self.i += 1;
            let (right, rdepth) = self.expr(p + 1, nest + 1)?;
            depth = depth.max(rdepth) + 1;
            self.deep(depth)?;
            left = Expr::Bin {
                op,
                l: Box::new(left),
                r: Box::new(right),
            };
        }
        Ok((left, depth))
    }

    fn unary(&mut self, nest: usize) -> Result<Node, ParseError> {
        self.deep(nest)?;
        if self.peek() == Some(&Tok::Op(Op::Sub)) {
            self.i += 1;
            let (x, d) = self.unary(nest + 1)?;
            return Ok((Expr::Neg { x: Box::new(x) }, d + 1));
        }
        self.primary(nest)
    }

    fn primary(&mut self, nest: usize) -> Result<Node, ParseError> {
        let pos = self.pos();
        let Some((_, tok)) = self.next() else {
            return Err(ParseError::new(self.end, "expr-err-end", ""));
        };
        Ok(match tok {
            Tok::Num(v) => (Expr::Num { v }, 1),
            Tok::Str(v) => (Expr::Str { v }, 1),
            Tok::Field(name) => (Expr::Field { name }, 1),
            Tok::Dot => (Expr::Current, 1),
            Tok::LParen => {
                let (e, d) = self.expr(0, nest + 1)?;
                self.expect(Tok::RParen, ")")?;
                (e, d)
            }
            Tok::Name(name) => {
                if self.peek() != Some(&Tok::LParen) {
                    let known = name == "regex" || Func::from_name(&name).is_some();
                    return Err(if known {
                        ParseError::new(self.pos(), "expr-err-expected", "(")
                    } else {
                        ParseError::new(pos, "expr-err-bare-name", name)
                    });
                }
                self.i += 1;
                let mut args = Vec::new();
                let mut depth = 0;
                if self.peek() == Some(&Tok::RParen) {
                    self.i += 1;
                } else {
                    loop {
                        let arg_pos = self.pos();
                        let (a, d) = self.expr(0, nest + 1)?;
                        args.push((arg_pos, a));
                        depth = depth.max(d);
                        if self.peek() == Some(&Tok::Comma) {
                            self.i += 1;
                            continue;
                        }
                        self.expect(Tok::RParen, ", )")?;
                        break;
                    }
                }
                (self.call(pos, &name, args)?, depth + 1)
            }
            t @ (Tok::RParen | Tok::Comma | Tok::Op(_)) => {
                return Err(ParseError::new(pos, "expr-err-unexpected", t.describe()));
            }
        })
    }

    fn call(&self, pos: usize, name: &str, args: Vec<(usize, Expr)>) -> Result<Expr, ParseError> {
        if name == "regex" {
            if args.len() != 2 {
                return Err(ParseError::new(pos, "expr-err-arity", "regex: 2"));
            }
            let mut it = args.into_iter();
            let (_, x) = it.next().expect("two arguments");
            let (pat_pos, pat) = it.next().expect("two arguments");
            let Expr::Str { v } = pat else {
                return Err(ParseError::new(pat_pos, "expr-err-regex-literal", ""));
            };
            let pattern = Pattern::new(&v).map_err(|(k, d)| ParseError::new(pat_pos, k, d))?;
            return Ok(Expr::Regex {
                x: Box::new(x),
                pattern,
            });
        }
        let Some(f) = Func::from_name(name) else {
            return Err(ParseError::new(pos, "expr-err-unknown-function", name));
        };
        let (least, most) = f.arity();
        if args.len() < least || args.len() > most {
            let want = if least == most {
                least.to_string()
            } else if most >= 64 {
                format!("{least}+")
            } else {
                format!("{least}–{most}")
            };
            return Err(ParseError::new(
                pos,
                "expr-err-arity",
                format!("{name}: {want}"),
            ));
        }
        let mut args: Vec<Expr> = args.into_iter().map(|(_, a)| a).collect();
        if f == Func::StringLength && args.is_empty() {
            args.push(Expr::Current);
        }
        Ok(Expr::Call { f, args })
    }
}

// ---------------------------------------------------------------------------
// regex() patterns: the subset that means the same in Rust and in JavaScript

/// What `\s` matches: ASCII whitespace, the no-break space and the full-width space.
const SPACE_SET: &str = "\\t\\n\\x0B\\x0C\\r \\u{A0}\\u{3000}";
/// What `.` matches: anything but a line break (the JavaScript definition).
const DOT: &str = "[^\\n\\r\\u{2028}\\u{2029}]";
const META: &str = "^$\\.*+?()[]{}|";

/// One translated piece of a pattern; `ch` is its character when it stands for
/// exactly one (usable as a range end inside `[...]`).
struct Piece {
    text: String,
    ch: Option<char>,
}

/// Translates a pattern into the common subset of Rust `regex` and JavaScript
/// `RegExp` (with `u`), or names the refused construct. `\d \w \s` become
/// explicit ASCII sets, `.` excludes every line break, code points are written
/// `\u{…}`; look-around, back-references, `\b`, flags, named groups, nested or
/// POSIX classes, class set operations and `\p{…}` are refused.
fn translate_pattern(src: &str) -> Result<String, String> {
    let c: Vec<char> = src.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let mut atom = false; // a quantifier may follow
    let mut quant = false; // a quantifier just ended (a lazy `?` may follow)
    while i < c.len() {
        let ch = c[i];
        let (was_quant, is_atom) = (quant, atom);
        atom = true;
        quant = false;
        match ch {
            '\\' => {
                let (p, n) = escape(&c, i, false)?;
                out.push_str(&p.text);
                i += n;
            }
            '[' => i += class(&c, i, &mut out)?,
            '(' => {
                if c.get(i + 1) == Some(&'?') {
                    if c.get(i + 2) != Some(&':') {
                        return Err("(?".into());
                    }
                    out.push_str("(?:");
                    i += 3;
                } else {
                    out.push('(');
                    i += 1;
                }
                atom = false;
            }
            ')' => {
                out.push(')');
                i += 1;
            }
            '|' | '^' | '$' => {
                out.push(ch);
                i += 1;
                atom = false;
            }
            '*' | '+' | '?' | '{' => {
                let lazy = ch == '?' && was_quant;
                if !is_atom && !lazy {
                    return Err(format!("{ch} (nothing to repeat)"));
                }
                if ch == '{' {
                    let close = c[i..].iter().position(|&x| x == '}').map(|p| p + i);
                    let body: String = match close {
                        Some(end) => c[i + 1..end].iter().collect(),
                        None => return Err("{".into()),
                    };
                    let (lo, hi) = match body.split_once(',') {
                        None => (body.as_str(), Some(body.as_str())),
                        Some((lo, "")) => (lo, None),
                        Some((lo, hi)) => (lo, Some(hi)),
                    };
                    let bound = |s: &str| {
                        if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
                            None
                        } else {
                            s.parse::<u32>().ok().filter(|&n| n <= 1000)
                        }
                    };
                    let lo_n = bound(lo).ok_or_else(|| format!("{{{body}}}"))?;
                    if let Some(hi) = hi {
                        let hi_n = bound(hi).ok_or_else(|| format!("{{{body}}}"))?;
                        if hi_n < lo_n {
                            return Err(format!("{{{body}}}"));
                        }
                    }
                    out.push('{');
                    out.push_str(&body);
                    out.push('}');
                    i += body.chars().count() + 2;
                } else {
                    out.push(ch);
                    i += 1;
                }
                atom = false;
                quant = !lazy;
            }
            '}' | ']' => return Err(ch.to_string()),
            '.' => {
                out.push_str(DOT);
                i += 1;
            }
            _ => {
                out.push(ch);
                i += 1;
            }
        }
    }
    Ok(out)
}

fn hex_char(digits: &str) -> Result<char, String> {
    u32::from_str_radix(digits, 16)
        .ok()
        .and_then(char::from_u32)
        .ok_or_else(|| format!("\\u{{{digits}}}"))
}

/// An escape at `c[i] == '\\'`: the piece and how many characters it used.
fn escape(c: &[char], i: usize, in_class: bool) -> Result<(Piece, usize), String> {
    let Some(&e) = c.get(i + 1) else {
        return Err("\\".into());
    };
    let set = |inner: &str, negated: bool| -> Result<(Piece, usize), String> {
        let text = match (in_class, negated) {
            (true, true) => return Err(format!("[\\{e}]")),
            (true, false) => inner.to_string(),
            (false, false) => format!("[{inner}]"),
            (false, true) => format!("[^{inner}]"),
        };
        Ok((Piece { text, ch: None }, 2))
    };
    let one = |ch: char, used: usize| {
        let text = if ch.is_ascii_graphic() || ch == ' ' {
            if META.contains(ch) || (ch == '-' && in_class) {
                format!("\\{ch}")
            } else {
                ch.to_string()
            }
        } else {
            format!("\\u{{{:X}}}", ch as u32)
        };
        Ok((Piece { text, ch: Some(ch) }, used))
    };
    match e {
        'd' => set("0-9", false),
        'D' => set("0-9", true),
        'w' => set("A-Za-z0-9_", false),
        'W' => set("A-Za-z0-9_", true),
        's' => set(SPACE_SET, false),
        'S' => set(SPACE_SET, true),
        'n' => one('\n', 2),
        't' => one('\t', 2),
        'r' => one('\r', 2),
        'f' => one('\u{C}', 2),
        'v' => one('\u{B}', 2),
        'x' => {
            let digits: String = c.iter().skip(i + 2).take(2).collect();
            if digits.len() != 2 || !digits.chars().all(|d| d.is_ascii_hexdigit()) {
                return Err("\\x".into());
            }
            one(hex_char(&digits)?, 4)
        }
        'u' if c.get(i + 2) == Some(&'{') => {
            let close = c[i + 2..].iter().position(|&x| x == '}').ok_or("\\u{")?;
            let digits: String = c[i + 3..i + 2 + close].iter().collect();
            if digits.is_empty()
                || digits.len() > 6
                || !digits.chars().all(|d| d.is_ascii_hexdigit())
            {
                return Err(format!("\\u{{{digits}}}"));
            }
            one(hex_char(&digits)?, close + 3)
        }
        'u' => {
            let digits: String = c.iter().skip(i + 2).take(4).collect();
            if digits.chars().count() != 4 || !digits.chars().all(|d| d.is_ascii_hexdigit()) {
                return Err("\\u".into());
            }
            one(hex_char(&digits)?, 6)
        }
        '/' => one('/', 2),
        '-' => one('-', 2),
        e if META.contains(e) => one(e, 2),
        e => Err(format!("\\{e}")),
    }
}

/// A class at `c[i] == '['`, appended to `out`; returns the characters used.
fn class(c: &[char], i: usize, out: &mut String) -> Result<usize, String> {
    let mut j = i + 1;
    out.push('[');
    if c.get(j) == Some(&'^') {
        out.push('^');
        j += 1;
    }
    if c.get(j) == Some(&']') {
        return Err("[]".into());
    }
    let first = j;
    loop {
        let Some(&ch) = c.get(j) else {
            return Err("[".into());
        };
        if ch == ']' {
            out.push(']');
            return Ok(j + 1 - i);
        }
        let (start, n) = class_item(c, j, first)?;
        j += n;
        let ranged = c.get(j) == Some(&'-') && c.get(j + 1).is_some_and(|&n| n != ']');
        if !ranged {
            out.push_str(&start.text);
            continue;
        }
        let (end, n) = class_item(c, j + 1, first)?;
        match (start.ch, end.ch) {
            (Some(a), Some(b)) if a <= b => {
                out.push_str(&start.text);
                out.push('-');
                out.push_str(&end.text);
            }
            _ => return Err(format!("{}-{}", start.text, end.text)),
        }
        j += 1 + n;
    }
}

fn class_item(c: &[char], j: usize, first: usize) -> Result<(Piece, usize), String> {
    let ch = c.get(j).copied().ok_or("[")?;
    let next = c.get(j + 1).copied();
    match ch {
        '\\' => escape(c, j, true),
        '[' => Err("[ inside [...]".into()),
        '&' if next == Some('&') => Err("&&".into()),
        '~' if next == Some('~') => Err("~~".into()),
        '-' if j == first || next == Some(']') => Ok((
            Piece {
                text: "\\-".into(),
                ch: Some('-'),
            },
            1,
        )),
        '-' => Err("-".into()),
        ']' => Err("]".into()),
        ch => Ok((
            Piece {
                text: ch.to_string(),
                ch: Some(ch),
            },
            1,
        )),
    }
}

// ---------------------------------------------------------------------------
// Values and evaluation

/// The value of an expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Bool(bool),
    Number(f64),
    Text(String),
}

/// XPath whitespace, used to trim numbers and split multiple-choice answers.
fn is_xpath_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// Days from 1970-01-01 of a `YYYY-MM-DD` text (proleptic Gregorian), if it is one.
pub fn date_days(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<i64> {
        b[r].iter().try_fold(0i64, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + i64::from(d - b'0'))
        })
    };
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let month_days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if d < 1 || d > month_days {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// XPath `number()` of a text: a decimal (`-12`, `3.5`, `.5`; surrounding
/// whitespace allowed) or a date `YYYY-MM-DD` (days since 1970-01-01, as ODK
/// counts dates); anything else, the empty text included, is NaN.
pub fn text_to_number(s: &str) -> f64 {
    let t = s.trim_matches(is_xpath_space);
    let body = t.strip_prefix('-').unwrap_or(t);
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let decimal = !(int.is_empty() && frac.is_empty())
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && body.bytes().filter(|&b| b == b'.').count() <= 1;
    if decimal {
        return t.parse().unwrap_or(f64::NAN);
    }
    date_days(t).map_or(f64::NAN, |d| d as f64)
}

/// XPath `string()` of a number: integers without a decimal point, no exponent.
pub fn number_to_text(n: f64) -> String {
    if n.is_nan() {
        "NaN".into()
    } else if n == 0.0 {
        "0".into()
    } else if n.is_infinite() {
        if n > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else {
        format!("{n}")
    }
}

impl Value {
    /// XPath `boolean()`: a number is true unless 0 or NaN, a text unless empty.
    pub fn to_bool(&self) -> bool {
        match self {
            Value::Bool(b) => *b,
            Value::Number(n) => *n != 0.0 && !n.is_nan(),
            Value::Text(s) => !s.is_empty(),
        }
    }

    /// XPath `number()`: true is 1, false 0, a text per [`text_to_number`].
    pub fn to_number(&self) -> f64 {
        match self {
            Value::Bool(b) => f64::from(u8::from(*b)),
            Value::Number(n) => *n,
            Value::Text(s) => text_to_number(s),
        }
    }

    /// XPath `string()`: `true`/`false`, a number per [`number_to_text`].
    pub fn to_text(&self) -> String {
        match self {
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => number_to_text(*n),
            Value::Text(s) => s.clone(),
        }
    }
}

/// XPath `=`: booleans if either side is one, else numbers if either side is
/// one, else texts.
fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Bool(_), _) | (_, Value::Bool(_)) => a.to_bool() == b.to_bool(),
        (Value::Number(_), _) | (_, Value::Number(_)) => a.to_number() == b.to_number(),
        _ => a.to_text() == b.to_text(),
    }
}

/// The choices of a multiple-choice answer (space-separated values).
fn choices(s: &str) -> impl Iterator<Item = &str> {
    s.split(is_xpath_space).filter(|c| !c.is_empty())
}

/// The answers an expression reads.
pub trait Answers {
    /// The raw answer to the question `name`; `None` when unanswered, unknown,
    /// or hidden by its skip logic (all of which read as `''`).
    fn value(&self, name: &str) -> Option<&str>;

    /// The value of the question being checked (`.`).
    fn current(&self) -> Option<&str> {
        None
    }
}

impl<S: std::hash::BuildHasher> Answers for std::collections::HashMap<String, String, S> {
    fn value(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

impl Answers for std::collections::BTreeMap<String, String> {
    fn value(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

/// Evaluates a tree against answers; `today` is the respondent's day in Beijing.
pub fn eval(e: &Expr, answers: &dyn Answers, today: Day) -> Value {
    let ev = |x: &Expr| eval(x, answers, today);
    let num = |x: &Expr| ev(x).to_number();
    let text = |x: &Expr| ev(x).to_text();
    match e {
        Expr::Num { v } => Value::Number(*v),
        Expr::Str { v } => Value::Text(v.clone()),
        Expr::Field { name } => Value::Text(answers.value(name).unwrap_or("").to_string()),
        Expr::Current => Value::Text(answers.current().unwrap_or("").to_string()),
        Expr::Neg { x } => Value::Number(-num(x)),
        Expr::Bin { op, l, r } => match op {
            Op::Or => Value::Bool(ev(l).to_bool() || ev(r).to_bool()),
            Op::And => Value::Bool(ev(l).to_bool() && ev(r).to_bool()),
            Op::Eq => Value::Bool(equal(&ev(l), &ev(r))),
            Op::Ne => Value::Bool(!equal(&ev(l), &ev(r))),
            Op::Lt => Value::Bool(num(l) < num(r)),
            Op::Le => Value::Bool(num(l) <= num(r)),
            Op::Gt => Value::Bool(num(l) > num(r)),
            Op::Ge => Value::Bool(num(l) >= num(r)),
            Op::Add => Value::Number(num(l) + num(r)),
            Op::Sub => Value::Number(num(l) - num(r)),
            Op::Mul => Value::Number(num(l) * num(r)),
            Op::Div => Value::Number(num(l) / num(r)),
            Op::Mod => Value::Number(num(l) % num(r)),
        },
        Expr::Regex { x, pattern } => Value::Bool(pattern.is_match(&text(x))),
        Expr::Call { f, args } => {
            // A stored tree with too few arguments reads the missing ones as ''.
            let empty = Expr::Str { v: String::new() };
            let arg = |i: usize| args.get(i).unwrap_or(&empty);
            match f {
                Func::Not => Value::Bool(!ev(arg(0)).to_bool()),
                Func::True => Value::Bool(true),
                Func::False => Value::Bool(false),
                Func::Selected => {
                    let all = text(arg(0));
                    let one = text(arg(1));
                    let one = one.trim_matches(is_xpath_space);
                    Value::Bool(choices(&all).any(|c| c == one))
                }
                Func::CountSelected => Value::Number(choices(&text(arg(0))).count() as f64),
                Func::StringLength => Value::Number(text(arg(0)).chars().count() as f64),
                Func::If => {
                    if ev(arg(0)).to_bool() {
                        ev(arg(1))
                    } else {
                        ev(arg(2))
                    }
                }
                Func::Today => Value::Text(today.iso()),
                Func::Number => Value::Number(num(arg(0))),
                Func::Int => Value::Number(num(arg(0)).trunc()),
                Func::String => Value::Text(text(arg(0))),
                Func::Coalesce => {
                    let first = ev(arg(0));
                    if first.to_text().is_empty() {
                        ev(arg(1))
                    } else {
                        first
                    }
                }
                Func::Concat => Value::Text(args.iter().map(text).collect()),
            }
        }
    }
}

/// Evaluates a skip rule or constraint: it holds when the value is true.
pub fn holds(e: &Expr, answers: &dyn Answers, today: Day) -> bool {
    eval(e, answers, today).to_bool()
}
