//! The schema is the contract: any change shows up as a diff of `schema.graphql`.
//! Regenerate after an intended change with `UPDATE_SNAPSHOTS=1 cargo test -p camptrack-tests schema`.

use async_graphql::EnumType;
use camptrack_domain::CodeList;
use camptrack_domain::codes;

#[test]
fn the_sdl_matches_the_committed_snapshot() {
    let sdl = camptrack::graphql::sdl();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    if std::env::var("UPDATE_SNAPSHOTS").is_ok() {
        std::fs::write(&path, &sdl).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == sdl,
        "the schema changed; review the diff and run with UPDATE_SNAPSHOTS=1 to accept it"
    );
}

fn names<T: EnumType>() -> Vec<&'static str> {
    T::items().iter().map(|i| i.name).collect()
}

fn codes_of<T: CodeList>() -> Vec<&'static str> {
    T::ALL.iter().map(|v| v.code()).collect()
}

#[test]
fn graphql_enum_values_are_the_stored_codes() {
    use camptrack::graphql::enums as g;
    assert_eq!(names::<g::Role>(), codes_of::<codes::Role>());
    assert_eq!(
        names::<g::OrganisationType>(),
        codes_of::<codes::OrganisationType>()
    );
    assert_eq!(names::<g::SiteType>(), codes_of::<codes::SiteType>());
    assert_eq!(
        names::<g::OperationalStatus>(),
        codes_of::<codes::OperationalStatus>()
    );
    assert_eq!(
        names::<g::FormalStatus>(),
        codes_of::<codes::FormalStatus>()
    );
    assert_eq!(
        names::<g::ManagementType>(),
        codes_of::<codes::ManagementType>()
    );
    assert_eq!(
        names::<g::ReviewStatus>(),
        codes_of::<codes::ReviewStatus>()
    );
    assert_eq!(names::<g::Sex>(), codes_of::<codes::Sex>());
    assert_eq!(
        names::<g::DisplacementReason>(),
        codes_of::<codes::DisplacementReason>()
    );
    assert_eq!(names::<g::ShelterType>(), codes_of::<codes::ShelterType>());
    assert_eq!(
        names::<g::ShelterCondition>(),
        codes_of::<codes::ShelterCondition>()
    );
    assert_eq!(names::<g::Sector>(), codes_of::<codes::Sector>());
    assert_eq!(
        names::<g::PriorityNeed>(),
        codes_of::<codes::PriorityNeed>()
    );
    assert_eq!(
        names::<g::Vulnerability>(),
        codes_of::<codes::Vulnerability>()
    );
    assert_eq!(
        names::<g::ItemCategory>(),
        codes_of::<codes::ItemCategory>()
    );
    assert_eq!(names::<g::ItemUnit>(), codes_of::<codes::ItemUnit>());
    assert_eq!(
        names::<g::MovementKind>(),
        codes_of::<codes::MovementKind>()
    );
    assert_eq!(
        names::<g::DistributionModality>(),
        codes_of::<codes::DistributionModality>()
    );
    assert_eq!(
        names::<g::DistributionStatus>(),
        codes_of::<codes::DistributionStatus>()
    );
}
