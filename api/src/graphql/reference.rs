//! Code lists for clients building forms, and `me`.

use async_graphql::{Context, Object, SimpleObject};
use camptrack_domain::codes::ALL_LISTS;

use super::accounts::AccountNode;
use super::context;

/// A code list with its values' labels.
#[derive(Debug, SimpleObject)]
pub struct CodeList {
    /// The list's name, which is also the GraphQL enum's name, e.g. `SiteType`.
    pub name: &'static str,
    /// Its values in form order.
    pub values: Vec<CodeValue>,
}

/// One code with its English and French labels.
#[derive(Debug, SimpleObject)]
pub struct CodeValue {
    /// The code, as stored and as the GraphQL enum value.
    pub code: &'static str,
    /// English label.
    pub label_en: &'static str,
    /// French label.
    pub label_fr: &'static str,
}

/// Reference queries.
#[derive(Debug, Default)]
pub struct ReferenceQuery;

#[Object]
impl ReferenceQuery {
    /// Every code list with English and French labels (no token needed).
    async fn code_lists(
        &self,
        #[graphql(desc = "Only this list")] name: Option<String>,
    ) -> Vec<CodeList> {
        ALL_LISTS
            .iter()
            .filter(|l| name.as_deref().is_none_or(|n| n == l.name))
            .map(|l| CodeList {
                name: l.name,
                values: l
                    .values
                    .iter()
                    .map(|v| CodeValue {
                        code: v.code,
                        label_en: v.label_en,
                        label_fr: v.label_fr,
                    })
                    .collect(),
            })
            .collect()
    }

    /// The account behind the token.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<AccountNode> {
        let caller = context::caller(ctx)?;
        let account = crate::storage::accounts::get(context::db(ctx), caller.account_id)
            .await
            .map_err(super::error::storage)?;
        Ok(AccountNode(account))
    }
}
