//! One test per validation rule (topology.md, "Validation"), each on a
//! malformed file under tests/fixtures/invalid/ named for its rule: the file
//! fails with that rule's `ProblemKind`, at that line and column, and only
//! with it. The CLI tests reuse the same fixtures (`nslab validate` exits 2).

use nslab_model::{
    parse_str_on, read_file, Host, Loc, NoHostInterfaces, ProblemKind, ProblemKind::*,
    ProgramLookup,
};
use std::path::{Path, PathBuf};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/invalid")
}

/// Every fixture: file, the kind its name says, and where.
const FIXTURES: &[(&str, ProblemKind, u32, u32)] = &[
    ("empty.yaml", Empty, 1, 1),
    ("syntax-error.yaml", Syntax, 4, 16),
    ("unknown-key.yaml", UnknownKey, 5, 29),
    ("wrong-type.yaml", WrongType, 5, 33),
    ("missing-lab.yaml", MissingKey, 1, 1),
    ("missing-kind.yaml", MissingKey, 5, 7),
    ("vlan-id-range.yaml", OutOfRange, 6, 48),
    ("vni-range.yaml", OutOfRange, 5, 32),
    ("mtu-range.yaml", OutOfRange, 5, 33),
    ("prefix-length-range.yaml", OutOfRange, 5, 40),
    ("port-range.yaml", OutOfRange, 4, 21),
    ("node-name-invalid.yaml", InvalidName, 3, 3),
    ("lab-name-too-long.yaml", InvalidName, 1, 6),
    ("ifname-too-long.yaml", InvalidName, 5, 7),
    ("invalid-cidr.yaml", InvalidValue, 5, 40),
    ("invalid-route.yaml", InvalidValue, 7, 17),
    ("duplicate-node.yaml", DuplicateName, 5, 3),
    ("duplicate-interface.yaml", DuplicateName, 13, 7),
    ("duplicate-netns.yaml", DuplicateName, 6, 12),
    ("unknown-link-endpoint.yaml", UnknownReference, 5, 15),
    ("unknown-parent.yaml", UnknownReference, 5, 36),
    ("unknown-master.yaml", UnknownReference, 5, 32),
    ("unknown-route-dev.yaml", UnknownReference, 7, 38),
    ("unknown-reply-from.yaml", UnknownReference, 7, 60),
    ("unknown-expect-node.yaml", UnknownReference, 8, 5),
    ("master-not-bridge.yaml", MasterNotBridge, 6, 32),
    ("vrf-table-missing.yaml", MissingKey, 5, 7),
    ("vrf-table-reserved.yaml", InvalidValue, 5, 32),
    ("master-in-other-node.yaml", MasterNotBridge, 9, 32),
    ("duplicate-address.yaml", DuplicateAddress, 8, 27),
    ("member-outside-subnet.yaml", AddressOutsideSubnet, 9, 22),
    ("member-is-gateway.yaml", AddressIsGateway, 9, 22),
    ("subnet-overlap.yaml", SubnetOverlap, 10, 13),
    ("via-unreachable.yaml", ViaUnreachable, 7, 21),
    ("family-mismatch.yaml", FamilyMismatch, 7, 25),
    ("passthru-shared.yaml", PassthruShared, 7, 36),
    ("physical-missing.yaml", PhysicalMissing, 5, 39),
    ("endpoint-reused.yaml", EndpointReused, 8, 6),
    ("self-link.yaml", SelfLink, 5, 15),
    ("kind-conflict.yaml", KindConflict, 5, 21),
    ("vxlan-destination.yaml", VxlanDestination, 5, 63),
    ("bad-parent-bridge-port.yaml", BadParent, 8, 36),
    ("publish-twice.yaml", PortConflict, 12, 24),
    ("forward-publish-conflict.yaml", PortConflict, 13, 24),
    ("serve-twice.yaml", PortConflict, 4, 29),
    ("two-default-routes.yaml", DuplicateRoute, 10, 9),
    ("ifname-nul.yaml", InvalidName, 5, 7),
    ("ifname-reserved.yaml", InvalidName, 10, 21),
    ("ifname-default.yaml", InvalidName, 6, 6),
    ("ifname-lo.yaml", InvalidName, 6, 7),
    ("physical-lo.yaml", InvalidName, 5, 39),
    ("vxlan-dev-control.yaml", InvalidName, 5, 59),
    ("netns-nul.yaml", InvalidName, 4, 12),
    ("expect-within-bad.yaml", InvalidValue, 7, 30),
    ("expect-check-and-from.yaml", InvalidValue, 7, 28),
    ("scenario-exec-missing-cmd.yaml", MissingKey, 8, 13),
    ("scenario-expect-unknown-node.yaml", UnknownReference, 8, 38),
    ("scenario-impair-nothing.yaml", InvalidValue, 8, 15),
    ("scenario-link-bad-state.yaml", InvalidValue, 8, 20),
    (
        "scenario-link-unknown-interface.yaml",
        UnknownReference,
        8,
        13,
    ),
    ("scenario-partition-overlap.yaml", InvalidValue, 8, 28),
    ("scenario-start-unknown-node.yaml", UnknownReference, 9, 14),
    ("scenario-stop-unknown-node.yaml", UnknownReference, 8, 13),
    ("scenario-two-keys.yaml", InvalidValue, 8, 7),
    ("scenario-unknown-key.yaml", UnknownKey, 8, 7),
    ("scenario-unknown-step.yaml", InvalidValue, 8, 7),
    ("scenario-wait-bad.yaml", InvalidValue, 8, 13),
    ("run-missing.yaml", ProgramMissing, 6, 9),
    ("run-not-on-path.yaml", ProgramMissing, 5, 9),
    ("many-typos.yaml", UnknownKey, 5, 5),
    ("duplicate-key.yaml", DuplicateName, 5, 39),
    ("deep-nesting.yaml", TooLarge, 4, 42),
    ("alias-bomb.yaml", TooLarge, 5, 232),
    ("lone-cr.yaml", Syntax, 2, 7),
    ("not-utf8.yaml", Syntax, 3, 4),
    ("subnet-exhausted.yaml", SubnetExhausted, 11, 7),
    ("list-where-map.yaml", WrongType, 2, 8),
    ("serve-on-host.yaml", InvalidValue, 5, 13),
];

/// Fixtures with more than one problem: every kind, in file order.
const MULTI: &[(&str, &[ProblemKind])] = &[(
    "many-typos.yaml",
    &[UnknownKey, UnknownKey, WrongType, UnknownKey, UnknownKey],
)];

/// Programs as on a machine where the fixtures' missing ones are missing.
fn programs(p: &str) -> ProgramLookup {
    if p.starts_with("/nonexistent/") || p.starts_with("nslab-no-such") {
        ProgramLookup::Missing
    } else {
        ProgramLookup::Found
    }
}

fn check(file: &str) {
    let (_, kind, line, col) = FIXTURES
        .iter()
        .find(|(f, ..)| *f == file)
        .unwrap_or_else(|| panic!("{file} is not in FIXTURES"));
    let path = dir().join(file);
    let host = Host {
        interfaces: &NoHostInterfaces,
        programs: &programs,
    };
    let parsed = read_file(&path).and_then(|t| parse_str_on(&path.display().to_string(), &t, host));
    let problems = match parsed {
        Ok(_) => panic!("{file} parsed without problems"),
        Err(p) => p,
    };
    let text = problems.render_plain();
    let kinds = MULTI
        .iter()
        .find(|(f, _)| *f == file)
        .map_or(vec![*kind], |(_, k)| k.to_vec());
    assert_eq!(problems.kinds(), kinds, "{file}:\n{text}");
    let p = problems.iter().next().unwrap();
    assert_eq!(p.loc, Loc::new(*line, *col), "{file}:\n{text}");
    assert_eq!(p.file, path.display().to_string());
    assert!(!p.hint.is_empty(), "{file} has no hint");
    // The plain rendering is `file:LINE:COL: message` then `help: hint`.
    assert!(
        text.starts_with(&format!("{}:{line}:{col}: ", path.display())),
        "{text}"
    );
    assert!(text.contains("help: "), "{text}");
}

macro_rules! rules {
    ($($name:ident => $file:literal,)*) => {
        $(#[test] fn $name() { check($file); })*
        const TESTED: &[&str] = &[$($file),*];
    };
}

rules! {
    empty_file => "empty.yaml",
    yaml_syntax_error => "syntax-error.yaml",
    unknown_key => "unknown-key.yaml",
    wrong_type => "wrong-type.yaml",
    missing_lab => "missing-lab.yaml",
    interface_without_kind => "missing-kind.yaml",
    vlan_id_out_of_range => "vlan-id-range.yaml",
    vni_out_of_range => "vni-range.yaml",
    vrf_without_a_table => "vrf-table-missing.yaml",
    vrf_on_a_host_table => "vrf-table-reserved.yaml",
    mtu_out_of_range => "mtu-range.yaml",
    prefix_length_out_of_range => "prefix-length-range.yaml",
    port_out_of_range => "port-range.yaml",
    node_name_characters => "node-name-invalid.yaml",
    lab_name_length => "lab-name-too-long.yaml",
    interface_name_length => "ifname-too-long.yaml",
    malformed_cidr => "invalid-cidr.yaml",
    malformed_route_words => "invalid-route.yaml",
    duplicate_node_name => "duplicate-node.yaml",
    duplicate_interface_with_network_interface => "duplicate-interface.yaml",
    duplicate_netns_name => "duplicate-netns.yaml",
    link_endpoint_names_missing_node => "unknown-link-endpoint.yaml",
    parent_does_not_exist => "unknown-parent.yaml",
    master_does_not_exist => "unknown-master.yaml",
    route_dev_does_not_exist => "unknown-route-dev.yaml",
    reply_from_does_not_exist => "unknown-reply-from.yaml",
    expect_node_does_not_exist => "unknown-expect-node.yaml",
    master_is_not_a_bridge => "master-not-bridge.yaml",
    master_bridge_in_another_node => "master-in-other-node.yaml",
    address_in_two_nodes => "duplicate-address.yaml",
    member_address_outside_subnet => "member-outside-subnet.yaml",
    member_address_is_gateway => "member-is-gateway.yaml",
    network_subnets_overlap_in_node => "subnet-overlap.yaml",
    route_via_not_connected => "via-unreachable.yaml",
    route_families_disagree => "family-mismatch.yaml",
    passthru_parent_shared => "passthru-shared.yaml",
    physical_interface_missing_on_host => "physical-missing.yaml",
    link_endpoint_used_twice => "endpoint-reused.yaml",
    link_to_itself => "self-link.yaml",
    link_end_with_other_kind => "kind-conflict.yaml",
    vxlan_remote_and_group => "vxlan-destination.yaml",
    macvlan_on_bridge_port => "bad-parent-bridge-port.yaml",
    host_port_published_twice => "publish-twice.yaml",
    forward_and_publish_take_one_port => "forward-publish-conflict.yaml",
    serve_port_twice => "serve-twice.yaml",
    two_default_routes => "two-default-routes.yaml",
    interface_name_with_nul => "ifname-nul.yaml",
    interface_name_all => "ifname-reserved.yaml",
    interface_name_default => "ifname-default.yaml",
    interface_named_lo => "ifname-lo.yaml",
    physical_from_lo => "physical-lo.yaml",
    vxlan_dev_with_control_character => "vxlan-dev-control.yaml",
    netns_name_with_nul => "netns-nul.yaml",
    run_program_missing => "run-missing.yaml",
    run_program_not_on_path => "run-not-on-path.yaml",
    typos_all_at_once => "many-typos.yaml",
    key_written_twice => "duplicate-key.yaml",
    nesting_too_deep => "deep-nesting.yaml",
    alias_bomb => "alias-bomb.yaml",
    lone_carriage_return => "lone-cr.yaml",
    not_utf8 => "not-utf8.yaml",
    subnet_exhausted => "subnet-exhausted.yaml",
    list_where_a_map_belongs => "list-where-map.yaml",
    serve_on_the_host_node => "serve-on-host.yaml",
    expect_within_bad => "expect-within-bad.yaml",
    expect_check_and_from => "expect-check-and-from.yaml",
    scenario_exec_missing_cmd => "scenario-exec-missing-cmd.yaml",
    scenario_expect_unknown_node => "scenario-expect-unknown-node.yaml",
    scenario_impair_nothing => "scenario-impair-nothing.yaml",
    scenario_link_bad_state => "scenario-link-bad-state.yaml",
    scenario_link_unknown_interface => "scenario-link-unknown-interface.yaml",
    scenario_partition_overlap => "scenario-partition-overlap.yaml",
    scenario_start_unknown_node => "scenario-start-unknown-node.yaml",
    scenario_stop_unknown_node => "scenario-stop-unknown-node.yaml",
    scenario_two_keys => "scenario-two-keys.yaml",
    scenario_unknown_key => "scenario-unknown-key.yaml",
    scenario_unknown_step => "scenario-unknown-step.yaml",
    scenario_wait_bad => "scenario-wait-bad.yaml",
}

#[test]
fn every_fixture_is_in_the_table_and_tested() {
    let mut on_disk: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    on_disk.sort();
    let mut table: Vec<String> = FIXTURES.iter().map(|(f, ..)| f.to_string()).collect();
    table.sort();
    assert_eq!(on_disk, table);
    let mut tested: Vec<String> = TESTED.iter().map(|s| s.to_string()).collect();
    tested.sort();
    assert_eq!(tested, table);
    assert!(table.len() >= 22);
}
