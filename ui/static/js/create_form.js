// "New base" / "New table" forms: POST {name} to the form's data-api URL through the REST
// API, then open the new object (data-open, with {id} replaced); errors stay on the form.
import { api } from "./api.js";

for (const form of document.querySelectorAll("form[data-api]")) {
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const error = form.querySelector(".error-message");
    error.textContent = "";
    try {
      const made = await api("POST", form.dataset.api, { name: form.elements.name.value.trim() });
      window.location.assign(form.dataset.open.replace("{id}", String(made.id)));
    } catch (err) { error.textContent = err.message; }
  });
}
