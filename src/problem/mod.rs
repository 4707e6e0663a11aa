//! Problems and suggestions (问题和意见建议): what workers, enterprises and
//! grassroots unions raise, who owns each now, its lifecycle and timeline, and
//! the feedback given to whoever raised it.

pub mod lifecycle;
