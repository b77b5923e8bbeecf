() => {
  // On narrow screens start with the library panel closed, so the chat is what one sees first.
  if (window.innerWidth < 900) document.querySelector('#qa-sidebar.open .toggle-button')?.click();

  // Accessible names Gradio leaves out: the composer's icon buttons, and each chat message's label (Gradio
  // puts the message's raw HTML there; a screen reader should hear its text).
  const BUTTONS = { 'submit-button': 'Send', 'stop-button': 'Stop' };
  const ROLES = { bot: 'Answer', user: 'Question' };
  const name = (element, value) => {
    if (element.getAttribute('aria-label') !== value) element.setAttribute('aria-label', value);
  };
  const fix = () => {
    for (const [id, label] of Object.entries(BUTTONS))
      document.querySelectorAll(`#qa-input [data-testid="${id}"]`).forEach((b) => name(b, label));
    document.querySelectorAll('#qa-chat [data-testid="bot"], #qa-chat [data-testid="user"]').forEach((m) => {
      const text = (m.innerText || '').replace(/\s+/g, ' ').trim();
      name(m, `${ROLES[m.dataset.testid]}: ${text.length > 400 ? text.slice(0, 399) + '…' : text}`);
    });
  };
  let queued = false;
  new MutationObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; fix(); });
  }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true,
                              attributeFilter: ['aria-label'] });
  fix();

  // The Articles dropdown opens whenever its input gets focus and stays open after focus moves on. Keyboard
  // users tab through it closed (ArrowDown, Enter or typing opens it, as in any combobox); it closes when
  // focus leaves it.
  let asked = false;  // did the user open it (pointer, or a key pressed while it has focus)?
  document.addEventListener('pointerdown', (event) => { asked = !!event.target.closest?.('#qa-scope'); }, true);
  document.addEventListener('keydown', (event) => {
    asked = !!event.target.matches?.('#qa-scope input') && !['Tab', 'Shift', 'Escape'].includes(event.key);
  }, true);
  const close = (input) => input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
  const closeUnasked = () => document.querySelectorAll('#qa-scope input[aria-expanded="true"]').forEach((input) => {
    if (document.activeElement !== input || !asked) close(input);
  });
  new MutationObserver(closeUnasked).observe(document.body, { subtree: true, attributes: true,
                                                              attributeFilter: ['aria-expanded'] });
  document.addEventListener('focusin', () => setTimeout(closeUnasked, 0));

  // /?view=api: Gradio 6 marks its API docs panel open but only loads it when its (hidden) footer button is
  // pressed, so press it twice (close, open).
  if (new URLSearchParams(location.search).get('view') !== 'api') return;
  let tries = 0;
  const reopen = () => {
    const button = document.querySelector('footer .show-api');
    if (!button) { if (++tries < 50) setTimeout(reopen, 100); return; }
    button.click();
    setTimeout(() => button.click(), 150);
  };
  reopen();
}
