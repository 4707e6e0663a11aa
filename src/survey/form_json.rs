//! A form posted as JSON (`PUT /api/v1/surveys/{id}/form`, docs/surveys.md):
//! the shape `GET …/form` returns, with conveniences for people writing it by
//! hand — expressions as text (parsed here, once, like an XLSForm's), a label
//! as a plain string, a question type as a string, and any property left out
//! taking its empty default. [`editable`] writes a form back in that
//! hand-written shape (expressions as text), which the builder page edits.

use serde_json::{Map, Value, json};

use super::{
    expr::{self, Expr},
    form::{Form, Item, Required},
};
use crate::{
    error::{AppError, FieldError},
    i18n::Lang,
};

/// Parses the body: 400 when it is not JSON, 422 naming the item and property
/// when an expression does not parse or the shape is wrong.
pub fn parse(body: &[u8], lang: Lang) -> Result<Form, AppError> {
    let mut v: Value =
        serde_json::from_slice(body).map_err(|_| AppError::BadRequest("malformed JSON"))?;
    let mut errs = Vec::new();
    let Some(top) = v.as_object_mut() else {
        return Err(AppError::BadRequest("the form must be a JSON object"));
    };
    for (k, d) in [
        ("id", json!("")),
        ("title", json!("")),
        ("version", Value::Null),
        ("default_language", Value::Null),
        ("languages", json!([])),
        ("items", json!([])),
        ("choice_lists", json!([])),
    ] {
        top.entry(k).or_insert(d);
    }
    if let Some(items) = top.get_mut("items").and_then(Value::as_array_mut) {
        for it in items {
            item(it, lang, &mut errs);
        }
    }
    if let Some(lists) = top.get_mut("choice_lists").and_then(Value::as_array_mut) {
        for l in lists.iter_mut().filter_map(Value::as_object_mut) {
            l.entry("choices").or_insert(json!([]));
            if let Some(cs) = l.get_mut("choices").and_then(Value::as_array_mut) {
                for c in cs.iter_mut().filter_map(Value::as_object_mut) {
                    label(c, "label");
                    c.entry("extra").or_insert(json!({}));
                }
            }
        }
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    serde_json::from_value(v).map_err(|e| {
        AppError::Validation(vec![
            FieldError::new("form", "survey-err-form-json").arg("message", e.to_string()),
        ])
    })
}

/// A label given as a string is the text without a language.
fn label(o: &mut Map<String, Value>, key: &str) {
    match o.get(key) {
        None | Some(Value::Null) => {
            o.insert(key.into(), json!({}));
        }
        Some(Value::String(s)) => {
            let s = s.clone();
            o.insert(key.into(), json!({ "": s }));
        }
        _ => {}
    }
}

/// An expression given as text becomes its tree; a parse error is reported
/// with the item's name and the property.
fn expression(
    o: &mut Map<String, Value>,
    key: &str,
    name: &str,
    lang: Lang,
    errs: &mut Vec<FieldError>,
) -> Option<Value> {
    match o.get(key) {
        Some(Value::String(src)) if src.trim().is_empty() => Some(Value::Null),
        Some(Value::String(src)) => match expr::parse(src) {
            Ok(tree) => Some(serde_json::to_value(tree).unwrap_or(Value::Null)),
            Err(e) => {
                errs.push(
                    FieldError::new("form", "survey-err-form-item")
                        .arg("item", name)
                        .arg("column", key)
                        .arg("message", e.message(lang)),
                );
                None
            }
        },
        None => Some(Value::Null),
        Some(_) => None,
    }
}

fn item(v: &mut Value, lang: Lang, errs: &mut Vec<FieldError>) {
    let Some(o) = v.as_object_mut() else { return };
    let name = o
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let is_group = o.get("item").and_then(Value::as_str) == Some("group");
    if !o.contains_key("item") {
        o.insert("item".into(), json!("question"));
    }
    label(o, "label");
    o.entry("appearance").or_insert(json!([]));
    if let Some(t) = expression(o, "relevant", &name, lang, errs) {
        o.insert("relevant".into(), t);
    }
    if is_group {
        o.entry("items").or_insert(json!([]));
        if let Some(items) = o.get_mut("items").and_then(Value::as_array_mut) {
            for it in items {
                item(it, lang, errs);
            }
        }
        return;
    }
    for k in ["hint", "required_message", "constraint_message"] {
        label(o, k);
    }
    for k in ["constraint", "choice_filter"] {
        if let Some(t) = expression(o, k, &name, lang, errs) {
            o.insert(k.into(), t);
        }
    }
    if let Some(Value::String(t)) = o.get("kind") {
        let t = t.clone();
        o.insert("kind".into(), json!({ "type": t }));
    }
    // `required`: true/false, "yes"/"no", an expression, or the stored shape.
    let required = match o.get("required") {
        None | Some(Value::Null) | Some(Value::Bool(false)) => Some(json!({"k": "no"})),
        Some(Value::Bool(true)) => Some(json!({"k": "yes"})),
        Some(Value::String(s)) => match s.trim() {
            "" | "no" | "false" => Some(json!({"k": "no"})),
            "yes" | "true" => Some(json!({"k": "yes"})),
            _ => {
                let mut tmp = Map::new();
                tmp.insert("required".into(), Value::String(s.clone()));
                expression(&mut tmp, "required", &name, lang, errs)
                    .map(|t| json!({"k": "when", "if": t}))
            }
        },
        Some(_) => None,
    };
    if let Some(r) = required {
        o.insert("required".into(), r);
    }
    o.entry("choices").or_insert(Value::Null);
    o.entry("other").or_insert(json!(false));
    o.entry("shuffle").or_insert(json!(false));
}

/// The form in the shape [`parse`] reads, with every expression as its
/// canonical text (`Expr`'s `Display`, which parses back to the same tree)
/// and `required` as `false`, `true` or the condition's text: what the
/// questionnaire builder edits and sends back unchanged.
pub fn editable(form: &Form) -> Value {
    fn text(e: &Option<Expr>) -> Value {
        json!(e.as_ref().map(ToString::to_string).unwrap_or_default())
    }
    fn item(it: &Item) -> Value {
        match it {
            Item::Group(g) => json!({
                "item": "group", "name": g.name, "label": g.label,
                "relevant": text(&g.relevant), "appearance": g.appearance,
                "items": g.items.iter().map(item).collect::<Vec<_>>(),
            }),
            Item::Question(q) => json!({
                "item": "question", "name": q.name, "kind": q.kind, "label": q.label,
                "hint": q.hint,
                "required": match &q.required {
                    Required::No => json!(false),
                    Required::Yes => json!(true),
                    Required::When(e) => json!(e.to_string()),
                },
                "required_message": q.required_message, "relevant": text(&q.relevant),
                "constraint": text(&q.constraint), "constraint_message": q.constraint_message,
                "appearance": q.appearance, "choices": q.choices,
                "choice_filter": text(&q.choice_filter), "other": q.other,
                "shuffle": q.shuffle,
            }),
        }
    }
    json!({
        "id": form.id, "title": form.title, "version": form.version,
        "default_language": form.default_language, "languages": form.languages,
        "items": form.items.iter().map(item).collect::<Vec<_>>(),
        "choice_lists": form.choice_lists,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::survey::form::{Item, QuestionKind, Required};

    #[test]
    fn a_hand_written_form_reads_with_text_expressions_and_defaults() {
        let body = r#"{"title": "t", "items": [
            {"name": "age", "kind": "integer", "label": "年龄", "required": true,
             "constraint": ". >= 16"},
            {"item": "group", "name": "g", "relevant": "${age} > 30", "items": [
                {"name": "why", "kind": {"type": "text"}, "required": "${age} > 40"}]},
            {"name": "pick", "kind": "select_one", "choices": "yn", "other": true, "shuffle": true}],
            "choice_lists": [{"name": "yn", "choices": [{"name": "y", "label": "是"}]}]}"#;
        let f = parse(body.as_bytes(), Lang::Zh).unwrap();
        assert!(f.validate().is_empty(), "{:?}", f.validate());
        let qs = f.questions();
        assert!(
            qs[2].shuffle && !qs[0].shuffle,
            "shuffle read, off when left out"
        );
        assert_eq!(qs[0].kind, QuestionKind::Integer);
        assert_eq!(qs[0].required, Required::Yes);
        assert_eq!(qs[0].label.get("zh"), Some("年龄"));
        assert!(qs[0].constraint.is_some());
        assert!(matches!(qs[1].required, Required::When(_)));
        assert!(matches!(&f.items[1], Item::Group(g) if g.relevant.is_some()));
        // The stored shape reads back as it is.
        let again = parse(&serde_json::to_vec(&f).unwrap(), Lang::Zh).unwrap();
        assert_eq!(again, f);
    }

    #[test]
    fn the_editable_shape_reads_back_as_the_same_form() {
        let body = r#"{"title": "t", "items": [
            {"name": "age", "kind": "integer", "label": {"中文 (zh)": "年龄", "English (en)": "Age"},
             "required": "${g} = 'x'", "constraint": ". >= 16 and (. <= 70 or . = 99)",
             "constraint_message": "16–70"},
            {"item": "group", "name": "g2", "appearance": ["field-list"],
             "relevant": "selected(${g}, 'x')", "items": [
                {"name": "t", "kind": "text", "required": true,
                 "constraint": "regex(., '^[0-9]{11}$')"},
                {"name": "s", "kind": {"type": "range", "start": 1, "end": 5, "step": 1},
                 "appearance": ["rating"]}]},
            {"name": "g", "kind": "select_multiple", "choices": "yn", "other": true, "shuffle": true}],
            "choice_lists": [{"name": "yn", "choices": [{"name": "x", "label": "是"}]}]}"#;
        let f = parse(body.as_bytes(), Lang::Zh).unwrap();
        let e = editable(&f);
        assert_eq!(e["items"][2]["shuffle"], true);
        assert_eq!(e["items"][0]["shuffle"], false);
        assert_eq!(e["items"][0]["required"], "${g} = 'x'");
        assert_eq!(e["items"][0]["relevant"], "");
        assert_eq!(e["items"][1]["items"][0]["required"], true);
        let again = parse(&serde_json::to_vec(&e).unwrap(), Lang::Zh).unwrap();
        assert_eq!(again, f);
    }

    #[test]
    fn bad_expressions_and_shapes_are_named() {
        let Err(AppError::Validation(fs)) = parse(
            br#"{"items": [{"name": "a", "kind": "text", "relevant": "${b} >"}]}"#,
            Lang::En,
        ) else {
            panic!("refused")
        };
        let m = fs[0].message(Lang::En);
        assert!(m.contains("a") && m.contains("relevant"), "{m}");
        assert!(matches!(
            parse(br#"{"items": [{"name": "a", "kind": "photo"}]}"#, Lang::En),
            Err(AppError::Validation(_))
        ));
        assert!(matches!(
            parse(b"{", Lang::En),
            Err(AppError::BadRequest(_))
        ));
    }
}
