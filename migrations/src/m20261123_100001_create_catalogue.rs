//! The item catalogue and kits, seeded with the common shelter/NFI items and two kits.
//!
//! The seed is data of this migration (not read from code that may change later), written
//! with ids and timestamps bound from Rust and an audit entry per record, actor "system".

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use serde_json::json;
use uuid::Uuid;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
pub(crate) enum Items {
    Table,
    Id,
    Code,
    NameEn,
    NameFr,
    Unit,
    Category,
    PackSize,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub(crate) enum Kits {
    Table,
    Id,
    Code,
    NameEn,
    NameFr,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum KitItems {
    Table,
    KitId,
    ItemId,
    Quantity,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    ActorAccountId,
    Action,
    Entity,
    EntityId,
    Before,
    After,
    RequestId,
}

/// (code, English, French, unit, category, pack size).
const ITEMS: &[(&str, &str, &str, &str, &str, i32)] = &[
    ("BLANKET", "Blanket", "Couverture", "PIECE", "NFI", 20),
    (
        "SLEEPING-MAT",
        "Sleeping mat",
        "Natte de couchage",
        "PIECE",
        "NFI",
        20,
    ),
    (
        "MOSQUITO-NET",
        "Mosquito net (LLIN)",
        "Moustiquaire imprégnée",
        "PIECE",
        "NFI",
        50,
    ),
    (
        "KITCHEN-SET",
        "Kitchen set",
        "Kit de cuisine",
        "SET",
        "NFI",
        1,
    ),
    (
        "JERRY-CAN",
        "Jerry can, 20 L",
        "Jerrican, 20 L",
        "PIECE",
        "WASH",
        10,
    ),
    (
        "BUCKET",
        "Bucket with lid, 14 L",
        "Seau avec couvercle, 14 L",
        "PIECE",
        "WASH",
        10,
    ),
    (
        "TARPAULIN",
        "Tarpaulin, 4 x 6 m",
        "Bâche plastique, 4 x 6 m",
        "PIECE",
        "SHELTER",
        5,
    ),
    ("ROPE", "Rope, 30 m", "Corde, 30 m", "ROLL", "SHELTER", 10),
    (
        "SOLAR-LAMP",
        "Solar lamp",
        "Lampe solaire",
        "PIECE",
        "NFI",
        24,
    ),
    (
        "HYGIENE-KIT",
        "Hygiene kit",
        "Kit d'hygiène",
        "KIT",
        "WASH",
        1,
    ),
];

/// A seeded kit: (code, English, French, [(item code, base units per kit)]).
type KitSeed = (
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, i32)],
);

const KITS: &[KitSeed] = &[
    (
        "NFI-KIT-STD",
        "Standard NFI kit (household)",
        "Kit d'articles non alimentaires standard (ménage)",
        &[
            ("BLANKET", 2),
            ("SLEEPING-MAT", 2),
            ("MOSQUITO-NET", 2),
            ("KITCHEN-SET", 1),
            ("JERRY-CAN", 1),
            ("BUCKET", 1),
            ("SOLAR-LAMP", 1),
        ],
    ),
    (
        "SHELTER-KIT",
        "Emergency shelter kit",
        "Kit d'abri d'urgence",
        &[("TARPAULIN", 2), ("ROPE", 1)],
    ),
];

fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6)
}

async fn audit(
    manager: &SchemaManager<'_>,
    entity: &str,
    id: Uuid,
    after: serde_json::Value,
) -> Result<(), DbErr> {
    manager
        .exec_stmt(
            Query::insert()
                .into_table(AuditLog::Table)
                .columns([
                    AuditLog::Id,
                    AuditLog::At,
                    AuditLog::ActorAccountId,
                    AuditLog::Action,
                    AuditLog::Entity,
                    AuditLog::EntityId,
                    AuditLog::Before,
                    AuditLog::After,
                    AuditLog::RequestId,
                ])
                .values_panic([
                    Uuid::now_v7().into(),
                    now().into(),
                    Option::<Uuid>::None.into(),
                    format!("{entity}.seed").into(),
                    entity.into(),
                    id.to_string().into(),
                    Option::<serde_json::Value>::None.into(),
                    after.into(),
                    Option::<String>::None.into(),
                ])
                .to_owned(),
        )
        .await
}

async fn seed(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut ids = std::collections::BTreeMap::new();
    for &(code, en, fr, unit, category, pack) in ITEMS {
        let id = Uuid::now_v7();
        let at = now();
        ids.insert(code, id);
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(Items::Table)
                    .columns([
                        Items::Id,
                        Items::Code,
                        Items::NameEn,
                        Items::NameFr,
                        Items::Unit,
                        Items::Category,
                        Items::PackSize,
                        Items::Version,
                        Items::CreatedAt,
                        Items::UpdatedAt,
                    ])
                    .values_panic([
                        id.into(),
                        code.into(),
                        en.into(),
                        fr.into(),
                        unit.into(),
                        category.into(),
                        pack.into(),
                        1.into(),
                        at.into(),
                        at.into(),
                    ])
                    .to_owned(),
            )
            .await?;
        let after = json!({ "code": code, "nameEn": en, "nameFr": fr, "unit": unit, "category": category, "packSize": pack, "version": 1 });
        audit(manager, "item", id, after).await?;
    }
    for &(code, en, fr, contents) in KITS {
        let id = Uuid::now_v7();
        let at = now();
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(Kits::Table)
                    .columns([
                        Kits::Id,
                        Kits::Code,
                        Kits::NameEn,
                        Kits::NameFr,
                        Kits::Version,
                        Kits::CreatedAt,
                        Kits::UpdatedAt,
                    ])
                    .values_panic([
                        id.into(),
                        code.into(),
                        en.into(),
                        fr.into(),
                        1.into(),
                        at.into(),
                        at.into(),
                    ])
                    .to_owned(),
            )
            .await?;
        for &(item, quantity) in contents {
            let item_id = ids
                .get(item)
                .copied()
                .ok_or_else(|| DbErr::Custom(format!("kit {code} names unknown item {item}")))?;
            manager
                .exec_stmt(
                    Query::insert()
                        .into_table(KitItems::Table)
                        .columns([KitItems::KitId, KitItems::ItemId, KitItems::Quantity])
                        .values_panic([id.into(), item_id.into(), quantity.into()])
                        .to_owned(),
                )
                .await?;
        }
        let items: Vec<_> = contents
            .iter()
            .map(|(item, q)| json!({ "itemCode": item, "quantity": q }))
            .collect();
        let after =
            json!({ "code": code, "nameEn": en, "nameFr": fr, "items": items, "version": 1 });
        audit(manager, "kit", id, after).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Items::Table)
                    .col(pk_uuid(Items::Id))
                    .col(string_uniq(Items::Code))
                    .col(string(Items::NameEn))
                    .col(string(Items::NameFr))
                    .col(string(Items::Unit))
                    .col(string(Items::Category))
                    .col(integer(Items::PackSize))
                    .col(integer(Items::Version))
                    .col(timestamp_with_time_zone(Items::CreatedAt))
                    .col(timestamp_with_time_zone(Items::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Kits::Table)
                    .col(pk_uuid(Kits::Id))
                    .col(string_uniq(Kits::Code))
                    .col(string(Kits::NameEn))
                    .col(string(Kits::NameFr))
                    .col(integer(Kits::Version))
                    .col(timestamp_with_time_zone(Kits::CreatedAt))
                    .col(timestamp_with_time_zone(Kits::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(KitItems::Table)
                    .col(uuid(KitItems::KitId))
                    .col(uuid(KitItems::ItemId))
                    .col(integer(KitItems::Quantity))
                    .primary_key(Index::create().col(KitItems::KitId).col(KitItems::ItemId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(KitItems::Table, KitItems::KitId)
                            .to(Kits::Table, Kits::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(KitItems::Table, KitItems::ItemId)
                            .to(Items::Table, Items::Id),
                    )
                    .to_owned(),
            )
            .await?;
        seed(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .exec_stmt(
                Query::delete()
                    .from_table(AuditLog::Table)
                    .and_where(Expr::col(AuditLog::Action).is_in(["item.seed", "kit.seed"]))
                    .to_owned(),
            )
            .await?;
        for table in [
            KitItems::Table.into_iden(),
            Kits::Table.into_iden(),
            Items::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
