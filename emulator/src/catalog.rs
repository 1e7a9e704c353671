//! What PassFort's documentation says about check types, results and
//! decisions, in one place. Entries marked [A] are our assumptions.

/// The result values a check type can produce; the first is its pass value.
pub fn results_for(check_type: &str) -> Option<&'static [&'static str]> {
    Some(match check_type {
        "IDENTITY_CHECK" => &["2+2", "1+1", "Fail", "Error"],
        "PEPS_AND_SANCTIONS_SCREEN" | "COMPANY_PEPS_AND_SANCTIONS_SCREEN" => &["Pass", "Refer", "PEP", "Sanction", "Media", "Error"],
        "COMPANY_REGISTRY" => &["Pass", "Fail", "Error", "Refer"],
        "COMPANY_OWNERSHIP" => &["Pass", "Fail", "Error", "Partial"],
        "INDIVIDUAL_MANUAL_FORM" | "COMPANY_MANUAL_FORM" => &["Pass", "Fail"],
        "DOCUMENT_VERIFICATION"
        | "DOCUMENT_FETCH"
        | "CRA_BANK_ACCOUNT_VERIFICATION"
        | "COMPANY_FILINGS"
        | "COMPANY_FILING_PURCHASE"
        | "COMPANY_CHARITIES_REGISTRY"
        | "COMPANY_DOCUMENT_VERIFICATION" => &["Pass", "Fail", "Error"],
        // Newer types PassFort has since added; their result sets are [A].
        "VISA_CHECK" | "DEVICE_FRAUD_DETECTION" => &["Pass", "Fail", "Error"],
        _ => return None,
    })
}

/// Type-specific request fields a check type must be given.
pub fn required_fields(check_type: &str) -> &'static [&'static str] {
    match check_type {
        "DOCUMENT_VERIFICATION" | "COMPANY_DOCUMENT_VERIFICATION" => &["document_id"],
        "DOCUMENT_FETCH" => &["source", "reference"],
        _ => &[],
    }
}

/// Type-specific request fields that the check resource echoes back.
pub const ECHOED_FIELDS: &[&str] =
    &["document_id", "source", "reference", "form_id", "source_id", "disable_initial_screen", "disable_monitoring"];

/// PassFort's default result-to-decision mapping. `Partial` → PARTIAL and
/// any other (scripted) result → WARN are [A].
pub fn decision_for(result: &str) -> &'static str {
    match result {
        "2+2" | "Pass" => "PASS",
        "1+1" | "Partial" => "PARTIAL",
        "Fail" => "FAIL",
        "PEP" | "Sanction" | "Media" | "Refer" => "WARN",
        "Error" => "ERROR",
        _ => "WARN",
    }
}

/// Checks run sync when no `mode` is sent.
pub fn runs_sync_by_default(check_type: &str) -> bool {
    check_type == "IDENTITY_CHECK"
}

/// The tasks a new profile gets, by role.
pub fn tasks_for_role(role: &str) -> Option<&'static [&'static str]> {
    Some(match role {
        "INDIVIDUAL_CUSTOMER" => &["INDIVIDUAL_VERIFY_IDENTITY", "INDIVIDUAL_ASSESS_POLITICAL_AND_SANCTIONS_EXPOSURE"],
        "COMPANY_CUSTOMER" => &["COMPANY_VERIFY_IDENTITY", "COMPANY_ASSESS_SANCTIONS_EXPOSURE"],
        "INDIVIDUAL_ASSOCIATED" | "COMPANY_ASSOCIATED" => &[],
        _ => return None,
    })
}

/// The entity type PassFort puts in a check's `output_data` for a role.
pub fn entity_type_for_role(role: &str) -> &'static str {
    if role.starts_with("COMPANY") {
        "COMPANY"
    } else {
        "INDIVIDUAL"
    }
}

/// A human name for a task or check variant.
pub fn variant_name(kind: &str) -> String {
    let mut name = String::new();
    for (index, word) in kind.split('_').enumerate() {
        if index > 0 {
            name.push(' ');
        }
        let lower = word.to_ascii_lowercase();
        if index == 0 {
            let mut chars = lower.chars();
            if let Some(first) = chars.next() {
                name.push(first.to_ascii_uppercase());
                name.extend(chars);
            }
        } else {
            name.push_str(&lower);
        }
    }
    name + " - Emulator"
}
