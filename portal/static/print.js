// The print page's button (the Content-Security-Policy forbids inline handlers).
document.getElementById("print-page").addEventListener("click", () => window.print());
