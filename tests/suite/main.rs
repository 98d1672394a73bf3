//! Every integration test in one binary. One binary links the crate and its dependencies once:
//! as separate `tests/*.rs` binaries the suite took 5.7 GB of disk and most of its build time in
//! the linker. Run one group with `cargo test --test suite ajax_cart::`.

// Shared helpers.
mod common;
mod hostile_support;
mod pg_nodes;
mod pg_support;
mod pg_tls;
mod platform_common;
mod theme_support;

mod ajax_cart;
mod ajax_encodings;
mod ajax_errors;
mod ajax_localized_errors;
mod ajax_real_port;
mod api_props;
mod architecture;
mod bench_command;
mod bigcommerce;
mod body_props;
mod browser;
mod bundled_sections;
mod catalog_fixtures;
mod crash_safety;
mod cross_api;
mod elasticpath;
mod hostile_bench;
mod hostile_connections;
mod hostile_ep_carts;
mod hostile_memory;
mod hostile_shutdown;
mod hostile_static;
mod images;
mod keep_alive;
mod limits;
mod liquid_golden;
mod liquid_lax_cli;
mod reliability;
mod security;
mod store_contract;
mod store_roundtrip;
mod theme_check;
mod theme_errors;
mod theme_fragments;
mod theme_liquid;
mod theme_os2;
mod theme_real;
mod theme_reload;
mod theme_sections;
mod theme_shopify_filters;
