//! Markdown bodies rendered to HTML that is safe to put in a page.

use pulldown_cmark::{Options, Parser, html};
use std::sync::LazyLock;

/// Built once: building ammonia's allow-lists costs as much as cleaning a short body.
static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder.link_rel(Some("noopener noreferrer"));
    builder
});

/// Renders CommonMark (with tables, strikethrough and footnotes) and sanitizes the result:
/// scripts, event handlers, `javascript:` links and unknown tags are removed.
pub fn render_html(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_SMART_PUNCTUATION;
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, Parser::new_ext(markdown, options));
    SANITIZER.clean(&raw).to_string()
}

/// The words of a Markdown body without its markup (for search and snippets): inline
/// HTML is dropped, blocks are separated by a newline.
pub fn plain_text(markdown: &str) -> String {
    use pulldown_cmark::{Event, TagEnd};
    let mut out = String::with_capacity(markdown.len());
    for event in Parser::new(markdown) {
        match event {
            Event::Text(text) | Event::Code(text) => out.push_str(&text),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item) => out.push('\n'),
            _ => {}
        }
    }
    out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::{plain_text, render_html};

    #[test]
    fn plain_text_keeps_the_words_only() {
        assert_eq!(
            plain_text("# Fête\n\nUn **marché** [de Noël](https://example.org)<b>!</b>"),
            "Fête\nUn marché de Noël!"
        );
    }

    #[test]
    fn renders_markdown() {
        let html = render_html("# Fête\n\nUn **marché** [site](https://example.org)");
        assert!(html.contains("<h1>Fête</h1>"), "{html}");
        assert!(html.contains("<strong>marché</strong>"), "{html}");
        assert!(html.contains("href=\"https://example.org\""), "{html}");
    }

    #[test]
    fn strips_scripts_and_handlers() {
        let html = render_html(
            "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("href=\"javascript"), "{html}");
    }
}
