//! Organisations: queries, mutations and their GraphQL types.

use async_graphql::{Context, InputObject, Object};
use camptrack_domain::access::Write;
use camptrack_domain::error::Errors;
use camptrack_domain::site::check_name;
use uuid::Uuid;

use super::connection::{Conn, connection};
use super::context::{self, list_cost};
use super::enums::OrganisationType;
use super::error::OrGql;
use crate::storage::organisations::{self, Organisation, OrganisationDraft};

/// An organisation.
#[derive(Debug, Clone)]
pub struct OrganisationNode(pub Organisation);

#[Object(name = "Organisation")]
impl OrganisationNode {
    /// Server id.
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// Short unique code, e.g. `IOM`.
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// Full name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Acronym.
    async fn acronym(&self) -> Option<&str> {
        self.0.acronym.as_deref()
    }
    /// Kind of organisation.
    async fn org_type(&self) -> OrganisationType {
        self.0.org_type.into()
    }
    /// Version for optimistic concurrency.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// An organisation's fields.
#[derive(Debug, InputObject)]
pub struct OrganisationInput {
    /// Short unique code: 2-20 upper-case letters, digits or dashes.
    pub code: String,
    /// Full name.
    pub name: String,
    /// Acronym.
    pub acronym: Option<String>,
    /// Kind.
    pub org_type: OrganisationType,
}

impl OrganisationInput {
    fn parse(self) -> Result<OrganisationDraft, camptrack_domain::Invalid> {
        let mut errors = Errors::default();
        let code = self.code.trim().to_ascii_uppercase();
        if !(2..=20).contains(&code.len())
            || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            errors.add(
                "code",
                "use 2-20 letters, digits or dashes, e.g. IOM or NRC-SO",
            );
        }
        check_name(&mut errors, "name", &self.name, 200);
        if let Some(a) = &self.acronym {
            check_name(&mut errors, "acronym", a, 40);
        }
        errors.finish(OrganisationDraft {
            code,
            name: self.name.trim().to_owned(),
            acronym: self.acronym.map(|a| a.trim().to_owned()),
            org_type: self.org_type.into(),
        })
    }
}

/// Organisation queries.
#[derive(Debug, Default)]
pub struct OrganisationQuery;

#[Object]
impl OrganisationQuery {
    /// Organisations, in creation order.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn organisations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<OrganisationNode>> {
        context::caller(ctx)?;
        let page = context::page_request(ctx, first, after.as_deref())?;
        let items = organisations::list(context::db(ctx), &page).await.gql()?;
        Ok(connection(
            items,
            page.after.is_some(),
            |o| o.id.to_string(),
            OrganisationNode,
        ))
    }

    /// One organisation by code.
    async fn organisation(
        &self,
        ctx: &Context<'_>,
        code: String,
    ) -> async_graphql::Result<OrganisationNode> {
        context::caller(ctx)?;
        organisations::get_by_code(context::db(ctx), &code.to_ascii_uppercase())
            .await
            .gql()
            .map(OrganisationNode)
    }
}

/// Organisation mutations (admins).
#[derive(Debug, Default)]
pub struct OrganisationMutation;

#[Object]
impl OrganisationMutation {
    /// Registers an organisation.
    async fn create_organisation(
        &self,
        ctx: &Context<'_>,
        input: OrganisationInput,
    ) -> async_graphql::Result<OrganisationNode> {
        let scope = context::scope(ctx)?;
        scope.require(Write::Organisations).gql()?;
        let draft = input.parse().gql()?;
        organisations::create(context::db(ctx), scope.caller(), draft)
            .await
            .gql()
            .map(OrganisationNode)
    }

    /// Replaces an organisation's fields; `version` is the one you last read.
    async fn update_organisation(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        version: i32,
        input: OrganisationInput,
    ) -> async_graphql::Result<OrganisationNode> {
        let scope = context::scope(ctx)?;
        scope.require(Write::Organisations).gql()?;
        let draft = input.parse().gql()?;
        organisations::update(context::db(ctx), scope.caller(), id, version, draft)
            .await
            .gql()
            .map(OrganisationNode)
    }
}

/// Resolves an optional organisation code (any case) to its id, recording a field error at
/// `path` when no organisation has it.
pub async fn code_to_id(
    ctx: &Context<'_>,
    errors: &mut Errors,
    path: &str,
    code: Option<&str>,
) -> async_graphql::Result<Option<Uuid>> {
    organisations::code_to_id(context::db(ctx), errors, path, code)
        .await
        .map_err(super::error::storage)
}
