//! Accounts and API tokens.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use camptrack_domain::access::Write;
use camptrack_domain::error::Errors;
use camptrack_domain::pcode::PCode;
use camptrack_domain::site::check_name;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::connection::{Conn, connection};
use super::context::{self, list_cost};
use super::enums::Role;
use super::error::OrGql;
use super::organisations::OrganisationNode;
use super::scalars::H3Cell;
use crate::auth::AccountArea;
use crate::storage::accounts::{self, Account, AccountDraft, ApiToken};
use crate::storage::organisations;

/// An account: a person or a tool acting with one role.
#[derive(Debug, Clone)]
pub struct AccountNode(pub Account);

#[Object(name = "Account")]
impl AccountNode {
    /// Server id.
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// Display name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Role.
    async fn role(&self) -> Role {
        self.0.role.into()
    }
    /// Organisation.
    async fn organisation(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<OrganisationNode>> {
        match self.0.organisation_id {
            Some(id) => organisations::get(context::db(ctx), id)
                .await
                .gql()
                .map(|o| Some(OrganisationNode(o))),
            None => Ok(None),
        }
    }
    /// Assigned H3 cells (enumerators).
    async fn area_cells(&self) -> Vec<H3Cell> {
        self.0.area.cells.iter().copied().map(H3Cell).collect()
    }
    /// Assigned admin p-codes (enumerators).
    async fn area_pcodes(&self) -> Vec<String> {
        self.0.area.pcodes.iter().map(ToString::to_string).collect()
    }
    /// When disabled.
    async fn disabled_at(&self) -> Option<DateTime<Utc>> {
        self.0.disabled_at
    }
    /// The account's tokens (admins, or the account itself).
    async fn tokens(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ApiTokenNode>> {
        let caller = context::caller(ctx)?;
        if caller.account_id != self.0.id && !caller.role.may(Write::Accounts) {
            return Err(super::error::coded(
                super::error::code::FORBIDDEN,
                "only administrators see other accounts' tokens",
            ));
        }
        accounts::tokens(context::db(ctx), self.0.id)
            .await
            .gql()
            .map(|t| t.into_iter().map(ApiTokenNode).collect())
    }
}

/// An API token's public facts (the secret is shown once, at creation).
#[derive(Debug, Clone)]
pub struct ApiTokenNode(pub ApiToken);

#[Object(name = "ApiToken")]
impl ApiTokenNode {
    /// Token id.
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// Label.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// When created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it stops working.
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }
    /// When last used (to the minute).
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }
    /// When revoked.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
}

/// A new token: keep `token` now, it is never shown again.
#[derive(Debug, SimpleObject)]
pub struct CreatedToken {
    /// The bearer token. Shown once; only its hash is stored.
    pub token: String,
    /// Its public facts.
    pub api_token: ApiTokenNode,
}

/// A new account.
#[derive(Debug, InputObject)]
pub struct AccountInput {
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Organisation code (required for partners and enumerators).
    pub organisation_code: Option<String>,
    /// Cells the account is bound to (enumerators).
    #[graphql(default)]
    pub area_cells: Vec<H3Cell>,
    /// Admin p-codes the account is bound to (enumerators).
    #[graphql(default)]
    pub area_pcodes: Vec<String>,
}

/// Account queries (admins).
#[derive(Debug, Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// Accounts, in creation order.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn accounts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<AccountNode>> {
        context::scope(ctx)?.require(Write::Accounts).gql()?;
        let page = context::page_request(ctx, first, after.as_deref())?;
        let items = accounts::list(context::db(ctx), &page).await.gql()?;
        Ok(connection(
            items,
            page.after.is_some(),
            |a| a.id.to_string(),
            AccountNode,
        ))
    }
}

/// Account and token mutations (admins).
#[derive(Debug, Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Creates an account.
    async fn create_account(
        &self,
        ctx: &Context<'_>,
        input: AccountInput,
    ) -> async_graphql::Result<AccountNode> {
        let scope = context::scope(ctx)?;
        scope.require(Write::Accounts).gql()?;
        let db = context::db(ctx);
        let mut errors = Errors::default();
        check_name(&mut errors, "name", &input.name, 200);
        let pcodes: Vec<PCode> = input
            .area_pcodes
            .iter()
            .enumerate()
            .filter_map(|(i, p)| errors.take(&format!("areaPcodes.{i}"), PCode::parse("", p)))
            .collect();
        errors.finish(()).gql()?;
        let organisation_id = match &input.organisation_code {
            Some(code) => Some(
                organisations::get_by_code(db, &code.to_ascii_uppercase())
                    .await
                    .map_err(|_| {
                        camptrack_domain::Invalid::one(
                            "organisationCode",
                            format!("no organisation {code}"),
                        )
                    })
                    .gql()?
                    .id,
            ),
            None => None,
        };
        let draft = AccountDraft {
            name: input.name.trim().to_owned(),
            role: input.role.into(),
            organisation_id,
            area: AccountArea {
                cells: input.area_cells.into_iter().map(|c| c.0).collect(),
                pcodes,
            },
        };
        accounts::create(db, Some(scope.caller()), draft)
            .await
            .gql()
            .map(AccountNode)
    }

    /// Disables an account: its tokens stop working at once (on other server processes
    /// sharing the database, within seconds).
    async fn disable_account(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<AccountNode> {
        let scope = context::scope(ctx)?;
        scope.require(Write::Accounts).gql()?;
        let account = accounts::disable(context::db(ctx), scope.caller(), id)
            .await
            .gql()?;
        context::tokens(ctx).clear();
        Ok(AccountNode(account))
    }

    /// Issues a token for an account. The token is in the answer, once.
    async fn create_token(
        &self,
        ctx: &Context<'_>,
        account_id: Uuid,
        name: String,
        expires_at: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<CreatedToken> {
        let scope = context::scope(ctx)?;
        scope.require(Write::Accounts).gql()?;
        let mut errors = Errors::default();
        check_name(&mut errors, "name", &name, 200);
        if expires_at.is_some_and(|t| t <= Utc::now()) {
            errors.add("expiresAt", "must be in the future");
        }
        errors.finish(()).gql()?;
        let (token, secret) = accounts::create_token(
            context::db(ctx),
            Some(scope.caller()),
            account_id,
            name,
            expires_at,
        )
        .await
        .gql()?;
        Ok(CreatedToken {
            token: secret.expose().to_owned(),
            api_token: ApiTokenNode(token),
        })
    }

    /// Revokes a token: it stops working at once (on other server processes sharing the
    /// database, within seconds).
    async fn revoke_token(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<ApiTokenNode> {
        let scope = context::scope(ctx)?;
        scope.require(Write::Accounts).gql()?;
        let token = accounts::revoke_token(context::db(ctx), scope.caller(), id)
            .await
            .gql()?;
        context::tokens(ctx).clear();
        Ok(ApiTokenNode(token))
    }
}
