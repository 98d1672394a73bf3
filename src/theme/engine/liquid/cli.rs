//! `vitrine render`: one template, JSON globals, snippets from a directory.
