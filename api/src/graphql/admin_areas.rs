//! Admin areas (reference data).

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, InputObject, Json, Object};
use camptrack_domain::access::Write;
use camptrack_domain::error::Errors;
use camptrack_domain::pcode::PCode;
use camptrack_domain::site::check_name;

use super::connection::{Conn, Totals};
use super::context::{self, list_cost};
use super::error::OrGql;
use crate::storage::admin_areas::{self, AdminArea, AdminAreaDraft, AdminAreaFilter};

/// An administrative area (OCHA COD-AB).
#[derive(Debug, Clone)]
pub struct AdminAreaNode(pub AdminArea);

#[Object(name = "AdminArea")]
impl AdminAreaNode {
    /// P-code.
    async fn pcode(&self) -> &str {
        &self.0.pcode
    }
    /// Level, 0 (country) to 5.
    async fn level(&self) -> i32 {
        self.0.level.into()
    }
    /// Parent p-code.
    async fn parent_pcode(&self) -> Option<&str> {
        self.0.parent_pcode.as_deref()
    }
    /// English name.
    async fn name_en(&self) -> &str {
        &self.0.name_en
    }
    /// French name.
    async fn name_fr(&self) -> Option<&str> {
        self.0.name_fr.as_deref()
    }
    /// Boundary as GeoJSON, when loaded.
    async fn polygon(&self) -> Option<Json<serde_json::Value>> {
        self.0.polygon.clone().map(Json)
    }
    /// Version for optimistic concurrency.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// An admin area's fields.
#[derive(Debug, InputObject)]
pub struct AdminAreaInput {
    /// P-code, e.g. `NG002021`.
    pub pcode: String,
    /// Level 0-5.
    pub level: i32,
    /// Parent p-code (one level up); none for a country.
    pub parent_pcode: Option<String>,
    /// English name.
    pub name_en: String,
    /// French name.
    pub name_fr: Option<String>,
    /// Boundary: a GeoJSON Polygon or MultiPolygon, `[lon, lat]` positions.
    pub polygon: Option<Json<serde_json::Value>>,
}

impl AdminAreaInput {
    fn parse(self) -> Result<AdminAreaDraft, camptrack_domain::Invalid> {
        let mut errors = Errors::default();
        let pcode = errors.take("pcode", PCode::parse("", &self.pcode));
        let parent = match &self.parent_pcode {
            Some(p) => errors.take("parentPcode", PCode::parse("", p)),
            None => None,
        };
        if !(0..=5).contains(&self.level) {
            errors.add("level", "must be 0 (country) to 5");
        }
        check_name(&mut errors, "nameEn", &self.name_en, 200);
        if let Some(fr) = &self.name_fr {
            check_name(&mut errors, "nameFr", fr, 200);
        }
        if let Some(Json(polygon)) = &self.polygon
            && let Err(e) = camptrack_geo::Area::from_geojson(polygon, &super::area::limits())
                .and_then(|a| a.check(&super::area::limits()))
        {
            errors.add("polygon", e.to_string());
        }
        let level = i16::try_from(self.level).unwrap_or_default();
        errors.finish(())?;
        Ok(AdminAreaDraft {
            pcode: pcode.map(|p| p.to_string()).unwrap_or_default(),
            level,
            parent_pcode: parent.map(|p| p.to_string()),
            name_en: self.name_en.trim().to_owned(),
            name_fr: self.name_fr.map(|n| n.trim().to_owned()),
            polygon: self.polygon.map(|Json(p)| p),
        })
    }
}

/// Admin area queries.
#[derive(Debug, Default)]
pub struct AdminAreaQuery;

#[Object]
impl AdminAreaQuery {
    /// Admin areas ordered by p-code.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn admin_areas(
        &self,
        ctx: &Context<'_>,
        level: Option<i32>,
        parent_pcode: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<AdminAreaNode>> {
        context::caller(ctx)?;
        let page = context::page_request(ctx, first, None)?;
        let filter = AdminAreaFilter {
            level: level.and_then(|l| i16::try_from(l).ok()),
            parent_pcode: parent_pcode.map(|p| p.to_ascii_uppercase()),
        };
        let (items, has_next) =
            admin_areas::list(context::db(ctx), &filter, page.first, after.as_deref())
                .await
                .gql()?;
        let mut conn = Connection::with_additional_fields(
            after.is_some(),
            has_next,
            Totals { total_count: None },
        );
        conn.edges.extend(
            items
                .into_iter()
                .map(|a| Edge::new(a.pcode.clone(), AdminAreaNode(a))),
        );
        Ok(conn)
    }

    /// One admin area.
    async fn admin_area(
        &self,
        ctx: &Context<'_>,
        pcode: String,
    ) -> async_graphql::Result<AdminAreaNode> {
        context::caller(ctx)?;
        admin_areas::get(context::db(ctx), &pcode.to_ascii_uppercase())
            .await
            .gql()
            .map(AdminAreaNode)
    }
}

/// Admin area mutations (admins).
#[derive(Debug, Default)]
pub struct AdminAreaMutation;

#[Object]
impl AdminAreaMutation {
    /// Adds an admin area.
    async fn create_admin_area(
        &self,
        ctx: &Context<'_>,
        input: AdminAreaInput,
    ) -> async_graphql::Result<AdminAreaNode> {
        let scope = context::scope(ctx)?;
        scope.require(Write::AdminAreas).gql()?;
        let draft = input.parse().gql()?;
        admin_areas::create(context::db(ctx), Some(scope.caller()), draft)
            .await
            .gql()
            .map(AdminAreaNode)
    }

    /// Replaces an admin area's fields (its p-code stays); `version` is the one you read.
    async fn update_admin_area(
        &self,
        ctx: &Context<'_>,
        version: i32,
        input: AdminAreaInput,
    ) -> async_graphql::Result<AdminAreaNode> {
        let scope = context::scope(ctx)?;
        scope.require(Write::AdminAreas).gql()?;
        let draft = input.parse().gql()?;
        admin_areas::update(context::db(ctx), scope.caller(), version, draft)
            .await
            .gql()
            .map(AdminAreaNode)
    }
}
