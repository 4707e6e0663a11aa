//! Status and kind enums declared once with their stored codes: [`code_enum!`].
//!
//! A code is what the database stores, what the API reads and writes, and what
//! a 422 lists as allowed; the label (from the message catalogues) is for pages
//! only. The macro gives every such enum the same surface, so a store's `Row`
//! can carry the enum itself (decoded by the `Any` driver from text) and no
//! domain writes its own `as_str`/`parse`/`ALL` by hand.

use std::fmt;

/// A text that is none of an enum's codes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeError {
    /// The enum's name, for logs.
    pub kind: &'static str,
    /// What was given.
    pub got: String,
    /// Every code the enum accepts, in declaration order.
    pub allowed: &'static [&'static str],
}

impl fmt::Display for CodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not a {}: expected one of {}",
            self.got,
            self.kind,
            self.allowed.join(", ")
        )
    }
}

impl std::error::Error for CodeError {}

impl CodeError {
    /// The field error of a form or JSON field holding this bad code: the
    /// domain's message `key`, with the allowed codes as `$allowed`.
    pub fn field(&self, field: &str, key: &'static str) -> crate::error::FieldError {
        crate::error::FieldError::new(field, key).arg("allowed", self.allowed.join(", "))
    }
}

/// Declares an enum stored as a text code.
///
/// ```ignore
/// code_enum! {
///     /// The kinds of service seed 002 names.
///     pub enum ServiceKind: "svc-kind" {
///         /// 困难职工帮扶.
///         Hardship = "hardship",
///         /// 其他.
///         Other = "other",
///     }
/// }
/// ```
///
/// gives `ServiceKind::ALL` and `CODES` (declaration order), `as_str()` (the
/// code), `label_key()` (`"svc-kind-hardship"`: the prefix, a dash, the code),
/// `from_code`, `FromStr` (a [`CodeError`] naming the allowed codes), `Display`
/// (the code), serde as the code, a utoipa schema that is a string enum of the
/// codes, and sqlx `Type`/`Encode`/`Decode` for the `Any` driver (text).
macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident : $label:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every value, in declaration order (the order menus and tables show).
            pub const ALL: [$name; [$($code),+].len()] = [$($name::$variant),+];
            /// Every stored code, in the order of `ALL`.
            pub const CODES: [&'static str; [$($code),+].len()] = [$($code),+];

            /// The stored code.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $code),+
                }
            }

            /// The message-catalogue key of its label (pages only; the API speaks codes).
            pub fn label_key(self) -> &'static str {
                match self {
                    $($name::$variant => concat!($label, "-", $code)),+
                }
            }

            /// The value of an exact code.
            pub fn from_code(code: &str) -> Option<$name> {
                match code {
                    $($code => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::db::CodeError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::from_code(s.trim()).ok_or_else(|| $crate::db::CodeError {
                    kind: stringify!($name),
                    got: s.to_string(),
                    allowed: &$name::CODES,
                })
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(::serde::de::Error::custom)
            }
        }

        impl ::utoipa::PartialSchema for $name {
            fn schema() -> ::utoipa::openapi::RefOr<::utoipa::openapi::schema::Schema> {
                ::utoipa::openapi::ObjectBuilder::new()
                    .schema_type(::utoipa::openapi::schema::Type::String)
                    .enum_values(Some($name::CODES))
                    .into()
            }
        }

        impl ::utoipa::ToSchema for $name {
            fn name() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed(stringify!($name))
            }
        }

        impl ::sqlx::Type<::sqlx::Any> for $name {
            fn type_info() -> ::sqlx::any::AnyTypeInfo {
                <str as ::sqlx::Type<::sqlx::Any>>::type_info()
            }
        }

        impl<'q> ::sqlx::Encode<'q, ::sqlx::Any> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut <::sqlx::Any as ::sqlx::Database>::ArgumentBuffer,
            ) -> Result<::sqlx::encode::IsNull, ::sqlx::error::BoxDynError> {
                <&str as ::sqlx::Encode<'q, ::sqlx::Any>>::encode(self.as_str(), buf)
            }
        }

        impl<'r> ::sqlx::Decode<'r, ::sqlx::Any> for $name {
            fn decode(
                value: <::sqlx::Any as ::sqlx::Database>::ValueRef<'r>,
            ) -> Result<Self, ::sqlx::error::BoxDynError> {
                let s = <&str as ::sqlx::Decode<'r, ::sqlx::Any>>::decode(value)?;
                Ok(s.parse::<$name>()?)
            }
        }
    };
}

pub(crate) use code_enum;

#[cfg(test)]
mod tests {
    code_enum! {
        /// A test enum.
        pub enum Colour: "colour" {
            /// 红.
            Red = "red",
            LightBlue = "light_blue",
        }
    }

    #[test]
    fn a_code_enum_reads_and_writes_its_codes_only() {
        assert_eq!(Colour::ALL, [Colour::Red, Colour::LightBlue]);
        assert_eq!(Colour::CODES, ["red", "light_blue"]);
        assert_eq!(Colour::LightBlue.as_str(), "light_blue");
        assert_eq!(Colour::LightBlue.label_key(), "colour-light_blue");
        assert_eq!(" red ".parse::<Colour>(), Ok(Colour::Red));
        let e = "Red".parse::<Colour>().unwrap_err();
        assert_eq!(e.allowed, ["red", "light_blue"]);
        assert_eq!(
            e.to_string(),
            "\"Red\" is not a Colour: expected one of red, light_blue"
        );
        assert_eq!(
            serde_json::to_value(Colour::LightBlue).unwrap(),
            "light_blue"
        );
        assert_eq!(
            serde_json::from_value::<Colour>("red".into()).unwrap(),
            Colour::Red
        );
        let bad = serde_json::from_value::<Colour>("blue".into()).unwrap_err();
        assert!(bad.to_string().contains("red, light_blue"), "{bad}");
        let schema = serde_json::to_value(<Colour as utoipa::PartialSchema>::schema()).unwrap();
        assert_eq!(schema["type"], "string");
        assert_eq!(schema["enum"], serde_json::json!(["red", "light_blue"]));
    }

    #[tokio::test]
    async fn a_code_enum_is_bound_and_decoded_as_text() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::Db::connect(&crate::db::sqlite_url(&dir.path().join("t.db")), 1)
            .await
            .unwrap();
        let got: (Colour, Option<Colour>) = sqlx::query_as("SELECT $1, $2")
            .bind(Colour::LightBlue)
            .bind(None::<Colour>)
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(got, (Colour::LightBlue, None));
        let bad = sqlx::query_scalar::<_, Colour>("SELECT 'blue'")
            .fetch_one(db.pool())
            .await
            .unwrap_err();
        assert!(bad.to_string().contains("red, light_blue"), "{bad}");
    }
}
