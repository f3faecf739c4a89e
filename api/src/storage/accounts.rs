//! Accounts and their API tokens; resolving a token to its caller.

use camptrack_domain::codes::Role;
use camptrack_domain::pcode::PCode;
use camptrack_geo::Cell;
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{Set, Unchanged};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, TransactionSession,
};
use serde_json::json;
use uuid::Uuid;

use super::entities::{account, api_token};
use super::page::{self, Page, PageRequest};
use super::{Result, StorageError, Writer, audit, db, decode, decode_json};
use crate::auth::{AccountArea, Caller, TokenSecret};

/// An account as the API shows it.
#[derive(Debug, Clone)]
pub struct Account {
    /// Server id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Organisation, if any.
    pub organisation_id: Option<Uuid>,
    /// Assigned area.
    pub area: AccountArea,
    /// When disabled; a disabled account's tokens stop working.
    pub disabled_at: Option<DateTime<Utc>>,
    /// When created.
    pub created_at: DateTime<Utc>,
}

/// A new account, validated.
#[derive(Debug, Clone)]
pub struct AccountDraft {
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Organisation (required for partners and enumerators).
    pub organisation_id: Option<Uuid>,
    /// Assigned area (enumerators).
    pub area: AccountArea,
}

/// An API token's public facts; the secret itself is never stored.
#[derive(Debug, Clone)]
pub struct ApiToken {
    /// Token id.
    pub id: Uuid,
    /// The account it acts as.
    pub account_id: Uuid,
    /// A label, e.g. the device or tool using it.
    pub name: String,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// When last used (updated at most once a minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// When revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl TryFrom<account::Model> for Account {
    type Error = StorageError;
    fn try_from(m: account::Model) -> Result<Self> {
        let cells: Vec<String> = decode_json(m.area_cells)?;
        let pcodes: Vec<String> = decode_json(m.area_pcodes)?;
        Ok(Self {
            id: m.id,
            name: m.name,
            role: decode(&m.role)?,
            organisation_id: m.organisation_id,
            area: AccountArea {
                cells: cells
                    .iter()
                    .map(|c| decode::<Cell>(c))
                    .collect::<Result<_>>()?,
                pcodes: pcodes
                    .iter()
                    .map(|p| {
                        PCode::parse("pcode", p)
                            .map_err(|e| StorageError::Db(sea_orm::DbErr::Type(e.to_string())))
                    })
                    .collect::<Result<_>>()?,
            },
            disabled_at: m.disabled_at,
            created_at: m.created_at,
        })
    }
}

impl From<api_token::Model> for ApiToken {
    fn from(m: api_token::Model) -> Self {
        Self {
            id: m.id,
            account_id: m.account_id,
            name: m.name,
            created_at: m.created_at,
            expires_at: m.expires_at,
            last_used_at: m.last_used_at,
            revoked_at: m.revoked_at,
        }
    }
}

impl Account {
    fn audit_json(&self) -> serde_json::Value {
        json!({
            "name": self.name,
            "role": self.role,
            "organisationId": self.organisation_id,
            "areaCells": self.area.cells.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "areaPcodes": self.area.pcodes.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "disabledAt": self.disabled_at,
        })
    }

    /// The caller this account acts as.
    pub fn into_caller(self) -> Caller {
        Caller {
            account_id: self.id,
            name: self.name,
            role: self.role,
            organisation_id: self.organisation_id,
            area: self.area,
        }
    }
}

fn area_json(area: &AccountArea) -> (serde_json::Value, serde_json::Value) {
    (
        json!(
            area.cells
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        ),
        json!(
            area.pcodes
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        ),
    )
}

/// Creates an account. `actor` is `None` when the command line creates one.
pub async fn create(
    db: &impl Writer,
    actor: Option<&Caller>,
    draft: AccountDraft,
) -> Result<Account> {
    super::scope::require_actor(actor, camptrack_domain::access::Write::Accounts)?;
    if draft.role.needs_organisation() && draft.organisation_id.is_none() {
        return Err(camptrack_domain::Invalid::one(
            "organisationCode",
            format!("a {} account needs an organisation", draft.role),
        )
        .into());
    }
    let txn = db::begin_write(db).await?;
    if let Some(org) = draft.organisation_id {
        super::organisations::get(&txn, org).await?;
    }
    let now = super::now();
    let (cells, pcodes) = area_json(&draft.area);
    let model = account::Entity::insert(account::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(draft.name),
        role: Set(draft.role.to_string()),
        organisation_id: Set(draft.organisation_id),
        area_cells: Set(cells),
        area_pcodes: Set(pcodes),
        disabled_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_with_returning(&txn)
    .await?;
    let created = Account::try_from(model)?;
    audit::record(
        &txn,
        actor,
        audit::Change {
            action: "account.create",
            entity: "account",
            entity_id: created.id.to_string(),
            before: None,
            after: Some(created.audit_json()),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Disables an account, so none of its tokens works any more.
pub async fn disable(db: &impl Writer, actor: &Caller, id: Uuid) -> Result<Account> {
    super::scope::require_actor(Some(actor), camptrack_domain::access::Write::Accounts)?;
    let txn = db::begin_write(db).await?;
    let before = get(&txn, id).await?;
    let model = account::Entity::update(account::ActiveModel {
        id: Unchanged(id),
        disabled_at: Set(Some(before.disabled_at.unwrap_or_else(Utc::now))),
        updated_at: Set(super::now()),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    let after = Account::try_from(model)?;
    audit::record(
        &txn,
        Some(actor),
        audit::Change {
            action: "account.disable",
            entity: "account",
            entity_id: id.to_string(),
            before: Some(before.audit_json()),
            after: Some(after.audit_json()),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// The account with `id`.
pub async fn get(conn: &impl ConnectionTrait, id: Uuid) -> Result<Account> {
    account::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| StorageError::not_found("account", id))?
        .try_into()
}

/// Accounts by creation order.
pub async fn list(conn: &impl ConnectionTrait, page: &PageRequest) -> Result<Page<Account>> {
    page::fetch(conn, account::Entity::find(), account::Column::Id, page)
        .await?
        .try_map(Account::try_from)
}

/// Whether any enabled admin account exists (the server says how to make one if not).
pub async fn admin_exists(conn: &impl ConnectionTrait) -> Result<bool> {
    Ok(account::Entity::find()
        .filter(account::Column::Role.eq(Role::Admin.to_string()))
        .filter(account::Column::DisabledAt.is_null())
        .one(conn)
        .await?
        .is_some())
}

/// Issues a token for `account_id`. The secret is returned once and only its hash stored.
pub async fn create_token(
    db: &impl Writer,
    actor: Option<&Caller>,
    account_id: Uuid,
    name: String,
    expires_at: Option<DateTime<Utc>>,
) -> Result<(ApiToken, TokenSecret)> {
    super::scope::require_actor(actor, camptrack_domain::access::Write::Accounts)?;
    let txn = db::begin_write(db).await?;
    let account = get(&txn, account_id).await?;
    if account.disabled_at.is_some() {
        return Err(StorageError::conflict("the account is disabled"));
    }
    let secret = TokenSecret::generate();
    let model = api_token::Entity::insert(api_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        account_id: Set(account_id),
        name: Set(name),
        token_hash: Set(secret.hash()),
        created_at: Set(super::now()),
        expires_at: Set(expires_at),
        last_used_at: Set(None),
        revoked_at: Set(None),
    })
    .exec_with_returning(&txn)
    .await?;
    let token = ApiToken::from(model);
    audit::record(&txn, actor, audit::Change {
        action: "token.create",
        entity: "api_token",
        entity_id: token.id.to_string(),
        before: None,
        after: Some(json!({ "accountId": account_id, "name": token.name, "expiresAt": token.expires_at })),
    })
    .await?;
    txn.commit().await?;
    Ok((token, secret))
}

/// Revokes a token; revoking twice keeps the first time.
pub async fn revoke_token(db: &impl Writer, actor: &Caller, id: Uuid) -> Result<ApiToken> {
    super::scope::require_actor(Some(actor), camptrack_domain::access::Write::Accounts)?;
    let txn = db::begin_write(db).await?;
    let before = api_token::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| StorageError::not_found("token", id))?;
    let revoked_at = before.revoked_at.unwrap_or_else(Utc::now);
    let model = api_token::Entity::update(api_token::ActiveModel {
        id: Unchanged(id),
        revoked_at: Set(Some(revoked_at)),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    audit::record(
        &txn,
        Some(actor),
        audit::Change {
            action: "token.revoke",
            entity: "api_token",
            entity_id: id.to_string(),
            before: Some(json!({ "revokedAt": before.revoked_at })),
            after: Some(json!({ "revokedAt": revoked_at })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(model.into())
}

/// The tokens of `account_id`, newest last.
pub async fn tokens(conn: &impl ConnectionTrait, account_id: Uuid) -> Result<Vec<ApiToken>> {
    Ok(api_token::Entity::find()
        .filter(api_token::Column::AccountId.eq(account_id))
        .order_by_asc(api_token::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(ApiToken::from)
        .collect())
}

/// What a presented token turned out to be.
#[derive(Debug)]
pub enum TokenStatus {
    /// Live, for an enabled account.
    Live {
        /// The account the token acts as.
        caller: Caller,
        /// When the token stops working, if ever.
        expires_at: Option<DateTime<Utc>>,
    },
    /// No token has this hash.
    Unknown,
    /// Revoked.
    Revoked,
    /// Past its expiry time.
    Expired(DateTime<Utc>),
    /// Its account is disabled.
    AccountDisabled,
}

impl TokenStatus {
    /// The caller, or why the token is refused.
    pub fn into_caller(self) -> std::result::Result<Caller, crate::auth::AuthError> {
        use crate::auth::AuthError;
        match self {
            Self::Live { caller, .. } => Ok(caller),
            Self::Unknown => Err(AuthError::InvalidToken),
            Self::Revoked => Err(AuthError::Revoked),
            Self::Expired(at) => Err(AuthError::Expired(at)),
            Self::AccountDisabled => Err(AuthError::AccountDisabled),
        }
    }
}

/// What the token with `token_hash` is: live (with its caller) or why not; marks the token
/// used at most once a minute, so reads do not turn into a write per request. Requests go
/// through [`crate::auth::TokenCache::check`], which skips this for a token just found live.
/// The lookup goes by the SHA-256 of the presented token through a unique index, so no
/// secret is compared byte by byte: timing reveals at most how a hash of the guess relates
/// to stored hashes, which does not help find a token (finding a preimage is the hard
/// problem).
pub async fn check_token(conn: &impl ConnectionTrait, token_hash: &str) -> Result<TokenStatus> {
    let now = super::now();
    let Some(token) = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(token_hash))
        .one(conn)
        .await?
    else {
        return Ok(TokenStatus::Unknown);
    };
    if token.revoked_at.is_some() {
        return Ok(TokenStatus::Revoked);
    }
    if let Some(at) = token.expires_at
        && at <= now
    {
        return Ok(TokenStatus::Expired(at));
    }
    let account = get(conn, token.account_id).await?;
    if account.disabled_at.is_some() {
        return Ok(TokenStatus::AccountDisabled);
    }
    if token
        .last_used_at
        .is_none_or(|at| now - at > chrono::Duration::minutes(1))
    {
        api_token::Entity::update_many()
            .col_expr(api_token::Column::LastUsedAt, Expr::value(now))
            .filter(api_token::Column::Id.eq(token.id))
            .exec(conn)
            .await?;
    }
    Ok(TokenStatus::Live {
        caller: account.into_caller(),
        expires_at: token.expires_at,
    })
}
