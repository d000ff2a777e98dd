//! Page navigations (`navigationStart`) and their largest contentful paint
//! (`largestContentfulPaint::Candidate`, with the image URL from `LargestImagePaint::Candidate`).
//!
//! Candidates are collected as they come and resolved to their navigation once the whole trace
//! is read (a candidate can precede the navigation in the file).

use super::Reader;
use super::args::Args;
use super::event::Event;
use crate::model::{LcpCandidate, Navigation, Ns};
use std::borrow::Cow;

/// A `navigationStart`.
#[derive(Debug)]
pub(super) struct NavRec {
    nav: Navigation,
    frame: Option<String>,
}

/// A main-frame `largestContentfulPaint::Candidate`, resolved to its navigation at the end.
#[derive(Debug)]
pub(super) struct Candidate {
    navigation: Option<String>,
    frame: Option<String>,
    pid: String,
    node: Option<u64>,
    cand: LcpCandidate,
}

impl Reader<'_, '_> {
    /// An instant event about navigation or paint; false when `name` is none of them.
    pub(super) fn navigation_event(&mut self, name: &str, t0: Ns, ev: &Event<'_>) -> bool {
        match name {
            "navigationStart" => self.navigation_start(t0, ev),
            "largestContentfulPaint::Candidate" => self.lcp_candidate(t0, ev),
            "LargestImagePaint::Candidate" => self.image_paint(t0, ev),
            _ => return false,
        }
        true
    }

    fn navigation_start(&mut self, t0: Ns, ev: &Event<'_>) {
        let Some(a) = Args::parse(ev.args) else {
            return;
        };
        let Some(d) = a.data else {
            return;
        };
        let url = d.document_loader_url.0.unwrap_or_default();
        if url.is_empty() {
            return; // DevTools ignores these (initial about:blank and the like)
        }
        let id = match d.navigation_id.0 {
            Some(id) => id.into_owned(),
            None => format!("navigation@{t0}"),
        };
        self.navigations.push(NavRec {
            nav: Navigation {
                id,
                url: url.into_owned(),
                start: t0,
                main_frame: d.is_loading_main_frame.0.unwrap_or(false)
                    && d.is_outermost_main_frame.0.unwrap_or(true),
                lcp: None,
                dom_content_loaded: None,
                load: None,
            },
            frame: a.frame.0.map(Cow::into_owned),
        });
    }

    fn lcp_candidate(&mut self, t0: Ns, ev: &Event<'_>) {
        let Some(a) = Args::parse(ev.args) else {
            return;
        };
        let Some(d) = a.data else {
            return;
        };
        let main = d.is_outermost_main_frame.0.or(d.is_main_frame.0);
        if main != Some(true) {
            return;
        }
        self.candidates.push(Candidate {
            navigation: d.navigation_id.0.map(Cow::into_owned),
            frame: a.frame.0.map(Cow::into_owned),
            pid: ev
                .pid
                .as_ref()
                .map_or_else(String::new, ToString::to_string),
            node: d.node_id.0.map(|n| n as u64),
            cand: LcpCandidate {
                at: t0,
                index: d.candidate_index.0.map_or(0, |i| i as u64),
                kind: d.kind.0.unwrap_or_default().into_owned(),
                image_url: None,
            },
        });
    }

    fn image_paint(&mut self, t0: Ns, ev: &Event<'_>) {
        let Some(d) = Args::parse(ev.args).and_then(|a| a.data) else {
            return;
        };
        if let (Some(node), Some(url)) = (d.dom_node_id.0, d.image_url.0) {
            let pid = ev
                .pid
                .as_ref()
                .map_or_else(String::new, ToString::to_string);
            self.images
                .entry((pid, node as u64))
                .or_default()
                .push((t0, url.into_owned()));
        }
    }

    /// Navigations with their LCP: the highest-index main-frame candidate of each. Candidates
    /// without a navigation id (Chrome before about M80) go to the latest main-frame navigation
    /// of their frame that started at or before them.
    pub(super) fn navigations(&mut self) -> Vec<Navigation> {
        let mut navs = std::mem::take(&mut self.navigations);
        navs.sort_by_key(|n| n.nav.start);
        for c in std::mem::take(&mut self.candidates) {
            let slot = match &c.navigation {
                Some(id) => navs.iter().position(|n| &n.nav.id == id),
                None => navs.iter().rposition(|n| {
                    n.nav.main_frame
                        && n.nav.start <= c.cand.at
                        && (c.frame.is_none() || n.frame == c.frame)
                }),
            };
            let Some(nav) = slot.and_then(|i| navs.get_mut(i)) else {
                continue;
            };
            let mut cand = c.cand;
            if cand.kind == "image" {
                cand.image_url = c.node.and_then(|node| {
                    let list = self.images.get(&(c.pid.clone(), node))?;
                    list.iter()
                        .min_by_key(|(t, _)| (t - cand.at).abs())
                        .map(|(_, u)| u.clone())
                });
            }
            let later = nav
                .nav
                .lcp
                .as_ref()
                .is_none_or(|l| (cand.index, cand.at) >= (l.index, l.at));
            if later {
                nav.nav.lcp = Some(cand);
            }
        }
        navs.into_iter().map(|n| n.nav).collect()
    }
}
