/** Stylesheets imported by @grafana/ui's dependencies mean nothing in jsdom. */
export default {};
