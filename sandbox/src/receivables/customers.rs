//! The customer operations: create, search, activate, partial update and delete.

use chrono::Utc;
use serde::Deserialize;
use serde_json::Value;

use super::super::App;
use super::super::ops::Answer;
use super::super::state::timestamp;
use super::super::wire::{QueryParams, Reply, Strict, decode, decode_patch};
use super::{Customer, apply};
use enkash::patch::{CustomerUpdate, Patch};
use enkash::types;

/// Largest page of the customer search (the spec's `limit` maximum).
pub(crate) const SEARCH_LIMIT: i64 = 50;

/// The customer id of a path; 400 when it breaks the `CustomerIdentifier` pattern.
pub(crate) fn path_id(id: &str) -> Result<String, Reply> {
    id.parse::<types::CustomerIdentifier>()
        .map(|id| id.to_string())
        .map_err(|_| Reply::invalid("customerId has an invalid format"))
}

/// Checks the optional `parentCompanyId` (`CompanyIdentifier` pattern). The sandbox has one
/// company, so a well-formed value selects nothing else.
fn check_parent(query: &QueryParams) -> Result<(), Reply> {
    query
        .pattern::<types::CompanyIdentifier>("parentCompanyId")
        .map(drop)
}

fn no_such_customer(id: &str) -> Reply {
    Reply::not_found(format!("No customer found for customerId {id}"))
}

/// `POST /api/v0/customer`: a new, active customer with a fresh `KC...` id.
pub(crate) fn create(app: &App, body: &[u8]) -> Answer {
    let request: types::CustomerCreateRequest = decode(body, &Strict::NONE)?;
    let now = timestamp(Utc::now());
    let mut state = app.lock();
    let receivables = &mut state.receivables;
    let customer = Customer {
        customer_id: receivables.next_customer_id(),
        legal_name: request.legal_name,
        account_number: request
            .account_number
            .map(|number| number.expose().to_owned()),
        address: request.address,
        assigned_agent: None,
        branch_codes: None,
        company_id: request.company_id.map(|id| id.to_string()),
        contact_number: request.contact_number.map(|number| number.to_string()),
        customer_company_id: request.customer_company_id,
        customer_key_contacts: Some(request.customer_key_contacts),
        customer_reminders: (!request.customer_reminders.is_empty())
            .then_some(request.customer_reminders),
        external_source: request.external_source,
        ifsc: request.ifsc.map(|ifsc| ifsc.to_string()),
        pan_or_gstin: request.pan_or_gstin,
        pin_code: request.pin_code,
        state: request.state,
        unique_ref_no: request.unique_ref_no,
        status: "ACTIVE",
        active: true,
        deleted: false,
        created_on: now.clone(),
        modified_on: now,
    };
    let json = customer.to_json();
    receivables.insert_customer(customer);
    Ok(Reply::ok(json))
}

/// The customer search body: the spec's two filters and three the sandbox adds (the docs say
/// the search filters by name, but do not publish the field names).
#[derive(Deserialize)]
struct CustomerFilter {
    #[serde(flatten)]
    published: types::CustomerSearchRequest,
    #[serde(rename = "legalName")]
    legal_name: Option<String>,
    #[serde(rename = "customerId")]
    customer_id: Option<String>,
    active: Option<bool>,
}

/// `POST /api/v0/customer/search`: customers not deleted that match every filter given, as a
/// JSON array, paged by `offset` / `limit` and sorted by `orderBy` (`createdOn` unless
/// `legalName` or `customerId`) in `direction` (ascending unless `DESC`).
pub(crate) fn search(app: &App, query: &QueryParams, body: &[u8]) -> Answer {
    let direction = query.pattern::<types::SortDirection>("direction")?;
    let limit = query
        .integer("limit", 1, SEARCH_LIMIT)?
        .unwrap_or(SEARCH_LIMIT);
    let offset = query
        .integer("offset", 0, i64::from(i32::MAX))?
        .unwrap_or(0);
    let order_by = query.get("orderBy")?.unwrap_or("createdOn").to_owned();
    let filter: CustomerFilter = decode(body, &Strict::NONE)?;
    let wanted_name = filter.legal_name.map(|name| name.to_lowercase());

    let state = app.lock();
    let mut matching: Vec<&Customer> = state
        .receivables
        .all_customers()
        .iter()
        .filter(|c| !c.deleted)
        .filter(|c| {
            filter
                .published
                .account_number
                .as_ref()
                .is_none_or(|wanted| c.account_number.as_deref() == Some(wanted.expose()))
                && filter
                    .published
                    .assigned_agent
                    .as_deref()
                    .is_none_or(|wanted| {
                        c.assigned_agent
                            .as_deref()
                            .is_some_and(|agent| agent.eq_ignore_ascii_case(wanted))
                    })
                && wanted_name.as_deref().is_none_or(|wanted| {
                    c.legal_name
                        .as_deref()
                        .is_some_and(|name| name.to_lowercase().contains(wanted))
                })
                && filter
                    .customer_id
                    .as_deref()
                    .is_none_or(|wanted| c.customer_id == wanted)
                && filter.active.is_none_or(|active| c.active == active)
        })
        .collect();
    let key = |c: &Customer| -> (Option<String>, String) {
        match order_by.as_str() {
            "legalName" => (c.legal_name.clone(), c.customer_id.clone()),
            "customerId" => (None, c.customer_id.clone()),
            _ => (None, String::new()),
        }
    };
    // A stable sort keeps creation order among equal keys.
    matching.sort_by_key(|c| key(c));
    if matches!(direction, Some(types::SortDirection::Desc)) {
        matching.reverse();
    }
    let page: Vec<Value> = matching
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(0))
        .map(Customer::to_json)
        .collect();
    Ok(Reply::ok(page))
}

/// `PUT /api/v0/customer/activate/{customerId}`: the customer becomes `ACTIVE` (again).
pub(crate) fn activate(app: &App, id: &str, query: &QueryParams) -> Answer {
    check_parent(query)?;
    let mut state = app.lock();
    let customer = state
        .receivables
        .customer_mut(id)
        .ok_or_else(|| no_such_customer(id))?;
    customer.set_active(true);
    Ok(Reply::ok(customer.to_json()))
}

/// `PATCH /api/v0/customer/{customerId}`: a field left out stays, `null` clears it, a value
/// sets it. `customerId` in the body may repeat the path's id (or be `null`, which changes
/// nothing: an id cannot be cleared); another id is refused with 400.
pub(crate) fn update(app: &App, id: &str, query: &QueryParams, body: &[u8]) -> Answer {
    check_parent(query)?;
    let update: CustomerUpdate = decode_patch(body, &[], &[])?;
    if let Patch::Set(other) = &update.customer_id
        && other != id
    {
        return Err(Reply::invalid("customerId cannot be changed"));
    }
    let mut state = app.lock();
    let customer = state
        .receivables
        .customer_mut(id)
        .ok_or_else(|| no_such_customer(id))?;
    apply(
        &mut customer.account_number,
        update
            .account_number
            .map(|number| number.expose().to_owned()),
    );
    apply(&mut customer.address, update.address);
    apply(&mut customer.assigned_agent, update.assigned_agent);
    apply(&mut customer.branch_codes, update.branch_codes);
    apply(&mut customer.contact_number, update.contact_number);
    apply(
        &mut customer.customer_key_contacts,
        update.customer_key_contacts,
    );
    apply(&mut customer.customer_reminders, update.customer_reminders);
    apply(&mut customer.ifsc, update.ifsc);
    apply(&mut customer.legal_name, update.legal_name);
    apply(&mut customer.pan_or_gstin, update.pan_or_gstin);
    apply(&mut customer.pin_code, update.pin_code);
    apply(&mut customer.state, update.state);
    apply(&mut customer.unique_ref_no, update.unique_ref_no);
    customer.modified_on = timestamp(Utc::now());
    Ok(Reply::ok(customer.to_json()))
}

/// `DELETE /api/v0/customer/{customerId}`: the customer is deleted (its invoices stay, and the
/// invoice search's `customerDeleted` filter finds them); the payload is a result text.
pub(crate) fn delete(app: &App, id: &str, query: &QueryParams) -> Answer {
    check_parent(query)?;
    let mut state = app.lock();
    let customer = state
        .receivables
        .customer_mut(id)
        .ok_or_else(|| no_such_customer(id))?;
    customer.deleted = true;
    customer.set_active(false);
    Ok(Reply::ok("Customer deleted successfully"))
}
