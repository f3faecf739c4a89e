//! Assessment rounds.

use async_graphql::{Context, InputObject, Object};
use camptrack_domain::access::Write;
use camptrack_domain::error::Errors;
use camptrack_domain::site::check_name;
use chrono::NaiveDate;
use uuid::Uuid;

use super::connection::{Conn, connection};
use super::context::{self, list_cost};
use super::error::OrGql;
use crate::storage::rounds::{self, Round, RoundDraft};

/// An assessment round.
#[derive(Debug, Clone)]
pub struct RoundNode(pub Round);

#[Object(name = "Round")]
impl RoundNode {
    /// Server id.
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// Round number.
    async fn number(&self) -> i32 {
        self.0.number
    }
    /// Name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// First day of the coverage window.
    async fn starts_on(&self) -> NaiveDate {
        self.0.starts_on
    }
    /// Last day of the coverage window.
    async fn ends_on(&self) -> NaiveDate {
        self.0.ends_on
    }
}

/// A round's fields.
#[derive(Debug, InputObject)]
pub struct RoundInput {
    /// Round number (unique; never changes once created).
    pub number: i32,
    /// Name.
    pub name: String,
    /// First day of the coverage window.
    pub starts_on: NaiveDate,
    /// Last day of the coverage window.
    pub ends_on: NaiveDate,
}

impl RoundInput {
    fn parse(self) -> Result<RoundDraft, camptrack_domain::Invalid> {
        let mut errors = Errors::default();
        if self.number < 1 {
            errors.add("number", "rounds are numbered from 1");
        }
        check_name(&mut errors, "name", &self.name, 200);
        if self.ends_on < self.starts_on {
            errors.add(
                "endsOn",
                format!("{} is before startsOn {}", self.ends_on, self.starts_on),
            );
        }
        errors.finish(RoundDraft {
            number: self.number,
            name: self.name.trim().to_owned(),
            starts_on: self.starts_on,
            ends_on: self.ends_on,
        })
    }
}

/// Round queries.
#[derive(Debug, Default)]
pub struct RoundQuery;

#[Object]
impl RoundQuery {
    /// Rounds, in creation order.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn rounds(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<RoundNode>> {
        context::caller(ctx)?;
        let page = context::page_request(ctx, first, after.as_deref())?;
        let items = rounds::list(context::db(ctx), &page).await.gql()?;
        Ok(connection(
            items,
            page.after.is_some(),
            |r| r.id.to_string(),
            RoundNode,
        ))
    }
}

/// Round mutations (coordinators).
#[derive(Debug, Default)]
pub struct RoundMutation;

#[Object]
impl RoundMutation {
    /// Opens a new round.
    async fn create_round(
        &self,
        ctx: &Context<'_>,
        input: RoundInput,
    ) -> async_graphql::Result<RoundNode> {
        let scope = context::scope(ctx)?;
        scope.require(Write::Rounds).gql()?;
        let draft = input.parse().gql()?;
        rounds::create(context::db(ctx), Some(scope.caller()), draft)
            .await
            .gql()
            .map(RoundNode)
    }

    /// Renames a round or moves its window (its number stays).
    async fn update_round(
        &self,
        ctx: &Context<'_>,
        input: RoundInput,
    ) -> async_graphql::Result<RoundNode> {
        let scope = context::scope(ctx)?;
        scope.require(Write::Rounds).gql()?;
        let d = input.parse().gql()?;
        rounds::update(
            context::db(ctx),
            scope.caller(),
            d.number,
            d.name,
            d.starts_on,
            d.ends_on,
        )
        .await
        .gql()
        .map(RoundNode)
    }
}
