//! Navigations with their largest contentful paint and its subparts (DevTools' LCPBreakdown).

use crate::model::{Navigation, Ns, Trace};

/// A navigation with its largest contentful paint and LCP's subparts (DevTools' LCPBreakdown).
#[derive(Debug, Clone)]
pub struct NavigationFacts {
    pub navigation_id: String,
    pub url: String,
    pub start: Ns,
    /// The LCP, from the navigation's start.
    pub lcp: Option<Ns>,
    pub lcp_type: Option<String>,
    pub lcp_image_url: Option<String>,
    pub phases: Option<LcpPhases>,
    /// `DOMContentLoaded` and `load`, after the navigation's start, when the input says.
    pub dom_content_loaded: Option<Ns>,
    pub load: Option<Ns>,
}

/// TTFB, then for an image its load delay and load duration, then render delay; they add up to
/// the LCP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LcpPhases {
    pub ttfb: Ns,
    pub load_delay: Option<Ns>,
    pub load_duration: Option<Ns>,
    pub render_delay: Ns,
}

/// LCP and its subparts, as DevTools' LCPBreakdown insight computes them:
///
/// ```text
/// navigationStart   first byte of document   LCP image request   image loaded   LCP paint
///       |------ TTFB ------|---- load delay ----|--- load duration ---|-- render delay --|
/// ```
///
/// A text LCP (or an image without a request, like a `data:` URL) has TTFB and render delay
/// only. No phases without the document request (its first byte bounds TTFB).
pub(super) fn navigation(trace: &Trace, nav: &Navigation) -> NavigationFacts {
    let lcp = nav.lcp.as_ref();
    let doc = trace.network.iter().find(|n| n.request_id == nav.id);
    let phases = lcp.and_then(|l| {
        let doc = doc?;
        let ttfb_end = doc.first_byte.unwrap_or(doc.start);
        let ttfb = ttfb_end - nav.start;
        let image = l.image_url.as_ref().and_then(|u| {
            trace
                .network
                .iter()
                .find(|n| &n.url == u && n.start >= nav.start)
        });
        Some(match (l.kind.as_str(), image) {
            ("image", Some(img)) => {
                let loaded = img.finish_time.unwrap_or(img.end);
                LcpPhases {
                    ttfb,
                    load_delay: Some(img.start - ttfb_end),
                    load_duration: Some(loaded - img.start),
                    render_delay: l.at - loaded,
                }
            }
            _ => LcpPhases {
                ttfb,
                load_delay: None,
                load_duration: None,
                render_delay: l.at - ttfb_end,
            },
        })
    });
    NavigationFacts {
        navigation_id: nav.id.clone(),
        url: nav.url.clone(),
        start: nav.start,
        lcp: lcp.map(|l| l.at - nav.start),
        lcp_type: lcp.map(|l| l.kind.clone()),
        lcp_image_url: lcp.and_then(|l| l.image_url.clone()),
        phases,
        dom_content_loaded: nav.dom_content_loaded,
        load: nav.load,
    }
}
