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
