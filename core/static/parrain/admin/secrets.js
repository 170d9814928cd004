// Reveal-and-copy and rotate buttons of a masked secret (core/admin_secrets.py).
// Both POST with the page's CSRF token; the server checks the change permission and
// writes an audit entry.
(() => {
  if (window.parrainSecrets) return;
  window.parrainSecrets = true;

  const token = (box) => {
    const field = document.querySelector("[name=csrfmiddlewaretoken]");
    const cookie = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return box.dataset.csrf || (field && field.value) || (cookie && cookie[1]) || "";
  };

  const post = async (url, box) => {
    const body = new URLSearchParams({ csrfmiddlewaretoken: token(box) });
    const response = await fetch(url, { method: "POST", body, credentials: "same-origin" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response.json();
  };

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-parrain-reveal], [data-parrain-rotate]");
    const box = button && button.closest("[data-parrain-secret]");
    if (!box) return;
    event.preventDefault();
    if (button.dataset.parrainReveal) {
      const { secret } = await post(button.dataset.parrainReveal, box);
      box.querySelector("[data-parrain-secret-value]").textContent = secret;
      try {
        await navigator.clipboard.writeText(secret);
        button.textContent = box.dataset.copied;
      } catch {
        // No clipboard (insecure origin): the secret is shown, select it by hand.
      }
    } else if (window.confirm(box.dataset.confirm)) {
      await post(button.dataset.parrainRotate, box);
      window.location.reload();
    }
  });
})();
