// Keeps mermaid diagrams legible on narrow screens.
//
// mermaid gives each diagram `width="100%"` and a `max-width` of its natural
// width, so on a phone a 900 px sequence diagram shrinks to a third and its
// labels to a few pixels. This sets a `min-width` of the natural width or
// 600 px, whichever is less: a diagram shrinks to two thirds at most, and
// the rest scrolls sideways (diagrams.css). On a desktop, where the text
// column is about 750 px wide, nothing changes.
(() => {
    const floor = 600;
    const fit = (svg) => {
        const natural = parseFloat(svg.style.maxWidth);
        if (natural > 0) {
            svg.style.minWidth = Math.min(natural, floor) + 'px';
        }
    };
    const fitAll = () => document.querySelectorAll('pre.mermaid svg').forEach(fit);
    // mermaid draws after the page has loaded, so watch for its diagrams.
    new MutationObserver(fitAll).observe(document.body, { childList: true, subtree: true });
    fitAll();
})();
