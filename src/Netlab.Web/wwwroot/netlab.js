// The theme a user picked ("light", "dark", or nothing = follow the system), kept in this browser.
window.netlab = {
    theme: {
        get: () => localStorage.getItem("netlab-theme"),
        set: value => value ? localStorage.setItem("netlab-theme", value) : localStorage.removeItem("netlab-theme"),
    },
};

// A live log that keeps its newest line in view: when lines are added and the reader was at the
// bottom, scroll to the bottom again; a reader who scrolled up to read is left alone.
window.netlab.follow = element => {
    if (!element || element.netlabFollowing) return;
    element.netlabFollowing = true;
    let atBottom = true;
    element.addEventListener("scroll", () => {
        atBottom = element.scrollHeight - element.scrollTop - element.clientHeight < 24;
    });
    new MutationObserver(() => { if (atBottom) element.scrollTop = element.scrollHeight; })
        .observe(element, { childList: true, subtree: true });
    element.scrollTop = element.scrollHeight;
};

// The reconnect banner's buttons, and what the template's reconnect modal does: a rejected circuit
// (the portal restarted) needs a reload, and a failed reconnect is retried when the tab is shown again.
(() => {
    const banner = document.getElementById("components-reconnect-modal");
    if (!banner) return;
    const retry = async () => {
        try {
            if (!await Blazor.reconnect()) location.reload();
        } catch { /* still down: the banner keeps saying so */ }
    };
    banner.addEventListener("click", async e => {
        const action = e.target.closest("[data-reconnect]")?.dataset.reconnect;
        if (action === "retry") await retry();
        if (action === "resume") { try { if (!await Blazor.resumeCircuit()) location.reload(); } catch { location.reload(); } }
    });
    banner.addEventListener("components-reconnect-state-changed", e => {
        if (e.detail.state === "rejected") location.reload();
        if (e.detail.state === "failed") document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") retry(); }, { once: true });
    });
})();
