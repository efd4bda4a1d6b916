//! `cargo xtask diagrams [PAGE.html...]`: build the book, render its pages
//! in headless Chromium and check that every mermaid diagram fits the text
//! column.
//!
//! mermaid gives each diagram a `max-width` of its natural width and lets it
//! shrink to the column, which is about 750 px wide on a desktop. A diagram
//! much wider than that shrinks until its labels are a few pixels high, so
//! the book keeps every diagram at most [`MAX_WIDTH`] px wide (three
//! quarters of its size or more in the column). This reports each diagram's
//! natural width and fails on a wider one, on a mermaid syntax error, and
//! on a diagram that was not drawn at all.
//!
//! Chromium is not part of the test command: it is a large download that
//! CI does not need. On Debian, `apt-get install chromium` provides it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cmd::repo_root;
use crate::{tools, Result};

pub const USAGE: &str = "diagrams [PAGE.html...]";
pub const ABOUT: &str = "Build the book, render it in headless Chromium and check that every \
     mermaid diagram is at most 1,000 px wide (all pages, or the ones named, relative to \
     target/book). Needs chromium on PATH.";

/// The widest natural width allowed, in CSS pixels.
const MAX_WIDTH: f64 = 1000.0;

/// The width of the book's text column on a desktop, in CSS pixels.
const COLUMN: f64 = 750.0;

pub fn run(args: &[String]) -> Result {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("usage: cargo xtask {USAGE}\n{ABOUT}");
        return Ok(());
    }
    let browser = find_chromium().ok_or(
        "chromium was not found on PATH; install it (Debian: `apt-get install chromium`) \
         and rerun `cargo xtask diagrams`",
    )?;
    let tools = tools::prepare_book()?;
    let book = repo_root().join("target").join("book");
    crate::cmd::run(&mut tools.mdbook(["build"]))?;
    let pages = if args.is_empty() {
        html_pages(&book)?
    } else {
        args.iter().map(|a| book.join(a)).collect()
    };
    if let Some(missing) = pages.iter().find(|page| !page.is_file()) {
        return Err(format!(
            "no page {} in the built book (name pages relative to target/book, e.g. \
             push.html or fast/pending.html)",
            missing.display()
        ));
    }
    let mut problems = Vec::new();
    let mut diagrams = 0;
    for page in &pages {
        let name = page
            .strip_prefix(&book)
            .unwrap_or(page)
            .display()
            .to_string();
        let dom = render(&browser, page)?;
        if dom.contains("Syntax error in text") {
            problems.push(format!("{name}: mermaid reports a syntax error"));
        }
        let widths = diagram_widths(&dom);
        let undrawn = mermaid_blocks(&dom).saturating_sub(widths.len());
        if undrawn > 0 {
            problems.push(format!(
                "{name}: {undrawn} diagrams were not drawn (did mermaid run?)"
            ));
        }
        for width in widths {
            diagrams += 1;
            let scale = (COLUMN / width).min(1.0);
            println!(
                "{name}: {width:.0} px natural, {:.0}% in a {COLUMN:.0} px column",
                scale * 100.0
            );
            if width > MAX_WIDTH {
                problems.push(format!(
                    "{name}: a diagram is {width:.0} px wide (at most {MAX_WIDTH:.0})"
                ));
            }
        }
    }
    println!("xtask: {diagrams} diagrams on {} pages", pages.len());
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// `chromium` (Debian's name) or `chromium-browser`, if either is on PATH.
fn find_chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Every page of the built book but the ones without chapters.
fn html_pages(book: &Path) -> Result<Vec<PathBuf>> {
    let mut pages = Vec::new();
    let mut folders = vec![book.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries = fs::read_dir(&folder)
            .map_err(|e| format!("could not list {}: {e}", folder.display()))?;
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                folders.push(path);
            } else if name.ends_with(".html")
                && !["print.html", "toc.html", "404.html"].contains(&name.as_str())
            {
                pages.push(path);
            }
        }
    }
    pages.sort();
    Ok(pages)
}

/// The page's DOM after its scripts ran (mermaid draws after loading).
fn render(browser: &Path, page: &Path) -> Result<String> {
    let profile = repo_root().join("target").join("xtask-chromium");
    let output = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            // Without these, Chromium tries the network at every start.
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,2000",
            "--virtual-time-budget=20000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .map_err(|e| format!("could not start {}: {e}", browser.display()))?;
    if !output.status.success() {
        return Err(format!(
            "chromium failed on {} ({}):\n{}",
            page.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// How many mermaid blocks the page has, drawn or not: mdbook-mermaid turns
/// each diagram into a `<pre class="mermaid">`, and mermaid draws an
/// `<svg id="mermaid-...">` into it when its script runs, so a page with
/// more blocks than drawings has a diagram that was not drawn.
fn mermaid_blocks(dom: &str) -> usize {
    dom.matches("<pre class=\"mermaid\"").count()
}

/// The natural widths of the mermaid diagrams in `dom`: the `max-width`
/// mermaid writes into each diagram's `<svg>` tag.
fn diagram_widths(dom: &str) -> Vec<f64> {
    dom.match_indices("<svg")
        .filter_map(|(start, _)| {
            let tag = &dom[start..start + dom[start..].find('>')?];
            if !tag.contains("id=\"mermaid") {
                return None;
            }
            let after = &tag[tag.find("max-width:")? + "max-width:".len()..];
            let number: String = after
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            number.parse().ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_come_from_mermaid_svgs_only() {
        let dom = r#"<p><svg id="icon" style="max-width: 2000px;"></svg>
            <svg aria-roledescription="sequence" id="mermaid-1" width="100%" style="max-width: 884.5px;">
            <svg id="mermaid-2" style="max-width:250px" viewBox="0 0 250 90">"#;
        assert_eq!(diagram_widths(dom), [884.5, 250.0]);
    }

    #[test]
    fn a_block_without_a_drawing_is_undrawn() {
        let drawn = r#"<pre class="mermaid" data-processed="true"><svg id="mermaid-0" style="max-width: 300px;"></svg></pre>"#;
        let source = r#"<pre class="mermaid">flowchart TB
            A --> B</pre>"#;
        let both = format!("{drawn}{source}");
        assert_eq!((mermaid_blocks(drawn), diagram_widths(drawn).len()), (1, 1));
        assert_eq!((mermaid_blocks(&both), diagram_widths(&both).len()), (2, 1));
    }
}
