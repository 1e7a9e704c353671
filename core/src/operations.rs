//! Every operation of PassFort's API 4.0, one definition each.
//!
//! [`OPERATIONS`] is the single place an operation is described: its wire
//! form, the query names it accepts, whether it takes a body, how it is
//! retried, what it answers and, for a write that must not be sent twice,
//! how an ambiguous failure is resolved. [`crate::Client::call`] and the
//! bindings' generated methods are driven by it; adding an operation is one
//! entry here.

use crate::retry::RetryClass;

/// Whether an operation takes a JSON body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyRule {
    /// No body may be given.
    None,
    /// A body may be given (`revert_decision`'s optional comment).
    Optional,
    Required,
}

/// The model an operation answers, for the bindings' typed results.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Model {
    Check,
    Task,
    Profile,
    Application,
    Event,
    DocumentImage,
    Note,
    Tag,
    /// Anything else, kept as JSON with every field.
    Json,
}

/// How the model is wrapped in the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    One,
    /// A bare JSON array.
    List,
    /// `{count, limit, offset, results: [...]}`.
    Page,
}

/// What an operation answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResultKind {
    pub model: Model,
    pub shape: Shape,
}

/// One operation of the API.
#[derive(Clone, Copy, Debug)]
pub struct Operation {
    /// Stable snake_case name: the method name in every language.
    pub name: &'static str,
    /// The namespace the bindings group it under.
    pub resource: &'static str,
    /// Upper case, as on the wire.
    pub method: &'static str,
    /// Relative to the base URL, with `{placeholders}` as in the published description.
    pub path: &'static str,
    /// The query parameter names accepted; any other is refused unsent.
    pub query: &'static [&'static str],
    pub body: BodyRule,
    pub retry: RetryClass,
    pub result: ResultKind,
    /// For a [`RetryClass::CreateOnce`] write: how an answer lost after the
    /// request may have reached PassFort is resolved, or what the caller
    /// must look for (the text of [`crate::Error::AmbiguousCreation`]).
    pub on_ambiguous: Option<&'static str>,
    pub summary: &'static str,
}

/// Path placeholders that carry free text, percent-encoded into the path;
/// every other placeholder is a PassFort id and checked as one.
pub const TEXT_PLACEHOLDERS: &[&str] = &["term"];

impl Operation {
    pub fn http_method(&self) -> http::Method {
        match self.method {
            "GET" => http::Method::GET,
            "POST" => http::Method::POST,
            "DELETE" => http::Method::DELETE,
            other => unreachable!("the table's methods are GET, POST and DELETE, not {other}"),
        }
    }

    /// The `{placeholder}` names of the path, in order.
    pub fn placeholders(&self) -> impl Iterator<Item = &'static str> {
        self.path.split('/').filter_map(|segment| segment.strip_prefix('{').and_then(|rest| rest.strip_suffix('}')))
    }

    /// Whether `path` (literal, relative to the base URL) is an instance of
    /// this operation's template; literal segments count for the ranking.
    fn matches(&self, method: &str, path: &str) -> Option<usize> {
        if !self.method.eq_ignore_ascii_case(method) {
            return None;
        }
        let mut template = self.path.split('/');
        let mut literal = path.split('/');
        let mut exact = 0;
        loop {
            match (template.next(), literal.next()) {
                (None, None) => return Some(exact),
                (Some(t), Some(l)) if t.starts_with('{') => {
                    if l.is_empty() {
                        return None;
                    }
                }
                (Some(t), Some(l)) if t == l => exact += 1,
                _ => return None,
            }
        }
    }
}

impl Operation {
    /// The method name under [`Operation::resource`] in every binding: the
    /// operation name minus the resource word (plural, or singular with a
    /// trailing `s` or `es` dropped) and a `profile` qualifying it, e.g.
    /// `create_application` → `create`, `get_profile_status` → `get`,
    /// `list_document_images` → `list_images`; the whole name when nothing is left.
    pub fn method_name(&self) -> String {
        let words: Vec<&str> = self.name.split('_').collect();
        let plural: Vec<&str> = self.resource.split('_').collect();
        let singular = |suffix: &str| {
            let mut words = plural.clone();
            if let Some(last) = words.last_mut() {
                *last = last.strip_suffix(suffix).unwrap_or(last);
            }
            words
        };
        let found = [singular("es"), singular("s"), plural.clone()].into_iter().find_map(|resource| {
            (0..=words.len().saturating_sub(resource.len())).find(|&at| words[at..].starts_with(&resource)).map(|at| (at, resource.len()))
        });
        let Some((mut at, mut len)) = found else { return self.name.to_owned() };
        if at > 0 && words[at - 1] == "profile" && self.resource != "profiles" {
            at -= 1;
            len += 1;
        }
        let rest: Vec<&str> = words[..at].iter().chain(&words[at + len..]).copied().collect();
        if rest.is_empty() {
            self.name.to_owned()
        } else {
            rest.join("_")
        }
    }

    /// The entry as JSON, for generators (`cargo run --example operations_json`).
    pub fn describe(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.name,
            "resource": self.resource,
            "method_name": self.method_name(),
            "http_method": self.method,
            "path": self.path,
            "path_params": self.placeholders().collect::<Vec<_>>(),
            "query": self.query,
            "body": format!("{:?}", self.body).to_lowercase(),
            "retry": match self.retry { RetryClass::Idempotent => "idempotent", RetryClass::CreateOnce => "create_once" },
            "model": format!("{:?}", self.result.model),
            "shape": format!("{:?}", self.result.shape).to_lowercase(),
            "on_ambiguous": self.on_ambiguous,
            "summary": self.summary,
        })
    }
}

/// The operation by its name.
pub fn find(name: &str) -> Option<&'static Operation> {
    OPERATIONS.iter().find(|operation| operation.name == name)
}

/// The table operation a literal path is an instance of, preferring literal
/// segments (`events/bulk_update` over `events/{event_id}`).
pub fn match_path(method: &str, path: &str) -> Option<&'static Operation> {
    OPERATIONS
        .iter()
        .filter_map(|operation| operation.matches(method, path).map(|exact| (exact, operation)))
        .max_by_key(|(exact, _)| *exact)
        .map(|(_, operation)| operation)
}

const fn one(model: Model) -> ResultKind {
    ResultKind { model, shape: Shape::One }
}

const fn list(model: Model) -> ResultKind {
    ResultKind { model, shape: Shape::List }
}

const GET: Operation = Operation {
    name: "",
    resource: "",
    method: "GET",
    path: "",
    query: &[],
    body: BodyRule::None,
    retry: RetryClass::Idempotent,
    result: one(Model::Json),
    on_ambiguous: None,
    summary: "",
};

/// A write that is safe to repeat: it sets a state, so sending it twice
/// leaves what sending it once does.
const SET: Operation = Operation { method: "POST", body: BodyRule::Required, ..GET };

/// A write that creates something (or takes a decision that makes a new
/// resource): never resent once it may have reached PassFort.
const CREATE: Operation = Operation { method: "POST", body: BodyRule::Required, retry: RetryClass::CreateOnce, ..GET };

use BodyRule as B;
use Model as M;

/// Every operation of the published description (48), by path.
pub static OPERATIONS: &[Operation] = &[
    Operation { name: "whoami", resource: "account", path: "/whoami", summary: "Who Am I", ..GET },
    // Profiles
    Operation {
        name: "list_profiles",
        resource: "profiles",
        path: "/profiles",
        query: &["q", "limit", "offset", "categories"],
        result: ResultKind { model: M::Profile, shape: Shape::Page },
        summary: "Get list of profiles",
        ..GET
    },
    Operation {
        name: "create_profile",
        resource: "profiles",
        path: "/profiles",
        result: one(M::Profile),
        on_ambiguous: Some(
            "list profiles (search by the name or customer_ref you sent) for one created at about the time sent, or read it \
             back by a customer_ref you set",
        ),
        summary: "Create a profile",
        ..CREATE
    },
    Operation {
        name: "get_profile",
        resource: "profiles",
        path: "/profiles/{profile_id}",
        result: one(M::Profile),
        summary: "Get a profile",
        ..GET
    },
    // Applications
    Operation {
        name: "list_applications",
        resource: "applications",
        path: "/profiles/{profile_id}/applications",
        result: list(M::Application),
        summary: "Get all product applications on profile",
        ..GET
    },
    Operation {
        name: "create_application",
        resource: "applications",
        path: "/profiles/{profile_id}/applications",
        result: one(M::Application),
        on_ambiguous: Some("list the profile's applications for an open one of the product you sent"),
        summary: "Create a product application",
        ..CREATE
    },
    Operation {
        name: "get_application",
        resource: "applications",
        path: "/profiles/{profile_id}/applications/{application_id}",
        result: one(M::Application),
        summary: "Get a product application",
        ..GET
    },
    Operation {
        name: "update_application",
        resource: "applications",
        path: "/profiles/{profile_id}/applications/{application_id}",
        result: one(M::Application),
        summary: "Update a product application",
        ..SET
    },
    Operation {
        name: "revert_application_decision",
        resource: "applications",
        path: "/profiles/{profile_id}/applications/{application_id}/revert_decision",
        body: B::Optional,
        result: one(M::Application),
        // Repeated, it would be refused (402) or revert a later decision.
        on_ambiguous: Some("get the application: its status and history show whether the decision was reverted"),
        summary: "Revert application decision",
        ..CREATE
    },
    // Audit items
    Operation {
        name: "list_audit_items",
        resource: "audit_items",
        path: "/profiles/{profile_id}/audit-items",
        result: list(M::Json),
        summary: "Get all audits for a profile",
        ..GET
    },
    // Checks
    Operation {
        name: "list_checks",
        resource: "checks",
        path: "/profiles/{profile_id}/checks",
        result: list(M::Check),
        summary: "Get all checks run on a profile",
        ..GET
    },
    Operation {
        name: "run_check",
        resource: "checks",
        path: "/profiles/{profile_id}/checks",
        // `mode` is the seeds' (sync/async), not in the 2019 description.
        query: &["mode"],
        result: one(M::Check),
        on_ambiguous: Some(
            "adopted by reading back: the profile's checks are read for the check this request created, which is \
             answered; sent again only when none appears within reconcile_grace",
        ),
        summary: "Run a check",
        ..CREATE
    },
    Operation {
        name: "get_check",
        resource: "checks",
        path: "/profiles/{profile_id}/checks/{check_id}",
        result: one(M::Check),
        summary: "Get results of a specific check",
        ..GET
    },
    Operation {
        name: "update_check_tasks",
        resource: "checks",
        path: "/profiles/{profile_id}/checks/{check_id}",
        result: one(M::Check),
        summary: "Update the tasks associated with a check",
        ..SET
    },
    Operation {
        name: "approve_check",
        resource: "checks",
        path: "/profiles/{profile_id}/checks/{check_id}/approve",
        body: B::None,
        result: one(M::Check),
        on_ambiguous: Some("list the profile's checks for a new PASS check of the same type made at about the time sent"),
        summary: "Manually approve a check",
        ..CREATE
    },
    Operation {
        name: "reject_check",
        resource: "checks",
        path: "/profiles/{profile_id}/checks/{check_id}/reject",
        body: B::None,
        result: one(M::Check),
        on_ambiguous: Some("list the profile's checks for a new FAIL check of the same type made at about the time sent"),
        summary: "Manually reject a check",
        ..CREATE
    },
    // Collected data
    Operation {
        name: "get_collected_data",
        resource: "collected_data",
        path: "/profiles/{profile_id}/collected_data",
        summary: "Get collected data",
        ..GET
    },
    // A replace: sending the same data twice leaves it as once. With
    // If-Match, `call` does not resend once it may have arrived (see there).
    Operation {
        name: "update_collected_data",
        resource: "collected_data",
        path: "/profiles/{profile_id}/collected_data",
        summary: "Update collected data",
        ..SET
    },
    Operation {
        name: "add_document",
        resource: "documents",
        path: "/profiles/{profile_id}/collected_data/documents",
        on_ambiguous: Some("get the collected data: its documents show whether the document was added (by the id you gave it, if any)"),
        summary: "Add a document",
        ..CREATE
    },
    // Collection steps (replaced whole)
    Operation {
        name: "list_collection_steps",
        resource: "collection_steps",
        path: "/profiles/{profile_id}/collection_steps",
        result: list(M::Json),
        summary: "Get a list of collection steps",
        ..GET
    },
    Operation {
        name: "update_collection_steps",
        resource: "collection_steps",
        path: "/profiles/{profile_id}/collection_steps",
        result: list(M::Json),
        summary: "Update profile collection steps",
        ..SET
    },
    // Document images
    Operation {
        name: "list_document_images",
        resource: "documents",
        path: "/profiles/{profile_id}/document_images",
        result: list(M::DocumentImage),
        summary: "Get list of document images",
        ..GET
    },
    Operation {
        name: "upload_document_image",
        resource: "documents",
        path: "/profiles/{profile_id}/document_images",
        result: one(M::DocumentImage),
        on_ambiguous: Some("list the profile's document images for one of this image_type uploaded at about the time sent"),
        summary: "Upload a new document image",
        ..CREATE
    },
    Operation {
        name: "get_document_image",
        resource: "documents",
        path: "/profiles/{profile_id}/document_images/{document_image_id}",
        result: one(M::DocumentImage),
        summary: "Get a document image",
        ..GET
    },
    // Events
    Operation {
        name: "list_events",
        resource: "events",
        path: "/profiles/{profile_id}/events",
        result: list(M::Event),
        summary: "Get a list of profile events",
        ..GET
    },
    Operation {
        name: "create_event",
        resource: "events",
        path: "/profiles/{profile_id}/events",
        result: one(M::Event),
        on_ambiguous: Some("list the profile's events for one of this event_type created at about the time sent"),
        summary: "Create a new profile event",
        ..CREATE
    },
    Operation {
        name: "get_event",
        resource: "events",
        path: "/profiles/{profile_id}/events/{event_id}",
        result: one(M::Event),
        summary: "Get a profile event by ID",
        ..GET
    },
    Operation {
        name: "update_event",
        resource: "events",
        path: "/profiles/{profile_id}/events/{event_id}",
        result: one(M::Event),
        summary: "Update a profile event",
        ..SET
    },
    Operation {
        name: "bulk_update_events",
        resource: "events",
        path: "/profiles/{profile_id}/events/bulk_update",
        result: list(M::Event),
        summary: "Update multiple events",
        ..SET
    },
    // Files
    Operation {
        name: "upload_file",
        resource: "files",
        path: "/profiles/{profile_id}/files",
        on_ambiguous: Some("a file may have been stored: files cannot be listed, so upload it again only if an unused copy does no harm"),
        summary: "Upload a new file",
        ..CREATE
    },
    Operation { name: "get_file", resource: "files", path: "/profiles/{profile_id}/files/{file_id}", summary: "Get a file by ID", ..GET },
    // Profile status: the body and the answer are a bare string.
    Operation {
        name: "get_profile_status",
        resource: "status",
        path: "/profiles/{profile_id}/status",
        summary: "Get profile status",
        ..GET
    },
    Operation {
        name: "set_profile_status",
        resource: "status",
        path: "/profiles/{profile_id}/status",
        summary: "Change profile status",
        ..SET
    },
    // Tags: adding is a set operation (re-adding answers the same tag).
    Operation { name: "add_tag", resource: "tags", path: "/profiles/{profile_id}/tags", result: one(M::Tag), summary: "Add tag", ..SET },
    Operation {
        name: "remove_tag",
        resource: "tags",
        method: "DELETE",
        path: "/profiles/{profile_id}/tags/{tag_id}",
        result: one(M::Tag),
        // A repeat after a lost answer may be answered 404: the tag is gone.
        summary: "Remove tag",
        ..GET
    },
    Operation {
        name: "search_tags",
        resource: "tags",
        path: "/tags/search/{term}",
        query: &["limit"],
        result: list(M::Tag),
        summary: "Search tags",
        ..GET
    },
    // Tasks and their notes
    Operation {
        name: "list_tasks",
        resource: "tasks",
        path: "/profiles/{profile_id}/tasks",
        result: list(M::Task),
        summary: "Get all tasks on a profile",
        ..GET
    },
    Operation {
        name: "create_task",
        resource: "tasks",
        path: "/profiles/{profile_id}/tasks",
        result: one(M::Task),
        on_ambiguous: Some("list the profile's tasks for one of this type created at about the time sent"),
        summary: "Add a task to a profile",
        ..CREATE
    },
    Operation {
        name: "get_task",
        resource: "tasks",
        path: "/profiles/{profile_id}/tasks/{task_id}",
        result: one(M::Task),
        summary: "Get a task",
        ..GET
    },
    Operation {
        name: "complete_task",
        resource: "tasks",
        path: "/profiles/{profile_id}/tasks/{task_id}",
        result: one(M::Task),
        summary: "Complete a task",
        ..SET
    },
    Operation {
        name: "list_notes",
        resource: "notes",
        path: "/profiles/{profile_id}/tasks/{task_id}/notes",
        result: list(M::Note),
        summary: "Get notes on a task",
        ..GET
    },
    Operation {
        name: "add_note",
        resource: "notes",
        path: "/profiles/{profile_id}/tasks/{task_id}/notes",
        result: one(M::Note),
        on_ambiguous: Some("list the task's notes for one with the text you sent"),
        summary: "Add a note to a task",
        ..CREATE
    },
    Operation {
        name: "delete_note",
        resource: "notes",
        method: "DELETE",
        path: "/profiles/{profile_id}/tasks/{task_id}/notes/{note_id}",
        result: one(M::Note),
        // A repeat after a lost answer may be answered 404: the note is gone.
        summary: "Delete a note",
        ..GET
    },
    // Search and addresses
    Operation {
        name: "search_companies",
        resource: "search",
        path: "/search/companies",
        query: &["country", "state", "query", "provider"],
        summary: "Search companies",
        ..GET
    },
    Operation {
        name: "search_addresses",
        resource: "addresses",
        path: "/address/search",
        query: &["address", "country_code", "limit"],
        summary: "Search for formatted address by string",
        ..GET
    },
    Operation {
        name: "format_address",
        resource: "addresses",
        path: "/address/format",
        query: &["id", "country_code"],
        summary: "Request a formatted address",
        ..GET
    },
    // Collect API keys: each call issues a new key.
    Operation {
        name: "create_collect_key",
        resource: "api_keys",
        path: "/api_keys/collect",
        on_ambiguous: Some("a collect key may have been issued; it expires by itself after 24 hours: request another"),
        summary: "Create collect API key for multiple profiles",
        ..CREATE
    },
    Operation {
        name: "create_profile_collect_key",
        resource: "api_keys",
        path: "/api_keys/collect/{profile_id}",
        body: B::None,
        on_ambiguous: Some("a collect key may have been issued; it expires by itself after 24 hours: request another"),
        summary: "Create collect API key",
        ..CREATE
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    const FIXTURE: &str = include_str!("../../tests/fixtures/passfort-openapi-4.0-2019.json");

    #[test]
    fn the_table_covers_exactly_the_published_operations() {
        let spec: serde_json::Value = serde_json::from_str(FIXTURE).unwrap();
        let mut published = BTreeSet::new();
        for (path, item) in spec["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys().filter(|m| matches!(m.as_str(), "get" | "post" | "put" | "patch" | "delete")) {
                published.insert((method.to_uppercase(), path.clone()));
            }
        }
        let ours: BTreeSet<_> = OPERATIONS.iter().map(|op| (op.method.to_owned(), op.path.to_owned())).collect();
        assert_eq!(OPERATIONS.len(), ours.len(), "one entry per (method, path)");
        assert_eq!(ours, published);
        assert_eq!(OPERATIONS.len(), 48);
        let methods: BTreeSet<_> = OPERATIONS.iter().map(|op| (op.resource, op.method_name())).collect();
        assert_eq!(methods.len(), OPERATIONS.len(), "one method name per resource");

        // The fixture's query names are accepted, and only `mode` is ours.
        for op in OPERATIONS {
            let item = &spec["paths"][op.path][op.method.to_lowercase()];
            let theirs: BTreeSet<&str> = item["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query")
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            let mine: BTreeSet<&str> = op.query.iter().copied().filter(|name| *name != "mode").collect();
            assert_eq!(mine, theirs, "{}", op.name);
            let placeholders: BTreeSet<&str> = op.placeholders().collect();
            let declared: BTreeSet<&str> = item["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            assert_eq!(placeholders, declared, "{}", op.name);
            assert_eq!(op.summary, item["summary"].as_str().unwrap(), "{}", op.name);
            assert_eq!(item.get("requestBody").is_some(), op.body != BodyRule::None, "{}: a body iff the description has one", op.name);
        }
    }

    #[test]
    fn names_are_unique_and_entries_well_formed() {
        let names: BTreeSet<_> = OPERATIONS.iter().map(|op| op.name).collect();
        assert_eq!(names.len(), OPERATIONS.len());
        for op in OPERATIONS {
            assert!(op.name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{}", op.name);
            assert!(!op.resource.is_empty() && !op.summary.is_empty(), "{}", op.name);
            assert!(op.path.starts_with('/') && !op.path.ends_with('/'), "{}", op.path);
            for segment in op.path.split('/').skip(1) {
                let placeholder = segment.starts_with('{') || segment.ends_with('}') || segment.contains(['{', '}']);
                if placeholder {
                    let name = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}'));
                    let name = name.unwrap_or_else(|| panic!("{}: malformed segment {segment}", op.path));
                    assert!(!name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{}", op.path);
                } else {
                    assert!(
                        !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'-'),
                        "{}",
                        op.path
                    );
                }
            }
            let placeholders: Vec<_> = op.placeholders().collect();
            assert_eq!(placeholders.iter().collect::<BTreeSet<_>>().len(), placeholders.len(), "{}: repeated placeholder", op.path);
            // Every write that must not be resent says how its ambiguity resolves, and only those.
            assert_eq!(op.on_ambiguous.is_some(), op.retry == RetryClass::CreateOnce, "{}", op.name);
            assert_eq!(op.retry == RetryClass::CreateOnce, op.method == "POST" && op.on_ambiguous.is_some(), "{}", op.name);
            assert_eq!(op.http_method().as_str(), op.method);
        }
    }

    #[test]
    fn literal_paths_find_their_operation() {
        assert_eq!(match_path("POST", "/profiles/abc/events/bulk_update").unwrap().name, "bulk_update_events");
        assert_eq!(match_path("POST", "/profiles/abc/events/e1").unwrap().name, "update_event");
        assert_eq!(match_path("get", "/profiles/abc/checks").unwrap().name, "list_checks");
        assert_eq!(match_path("DELETE", "/profiles/a/tasks/b/notes/c").unwrap().name, "delete_note");
        assert!(match_path("GET", "/profiles/abc/checks/").is_none());
        assert!(match_path("PUT", "/profiles").is_none());
        assert_eq!(find("run_check").unwrap().path, "/profiles/{profile_id}/checks");
    }
}
