// Parses an iCalendar text from stdin with Mozilla's ical.js (Thunderbird's parser) and prints
// what a client would see, as JSON. Used by tests/calendar; exits non-zero on a parse error.
import ICAL from "ical.js";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const text = Buffer.concat(chunks).toString("utf8");

const root = new ICAL.Component(ICAL.parse(text));
const zones = root.getAllSubcomponents("vtimezone").map((vtimezone) => {
  const zone = new ICAL.Timezone(vtimezone);
  ICAL.TimezoneService.register(zone);
  return zone.tzid;
});

const value = (component, name) => {
  const found = component.getFirstPropertyValue(name);
  return found === null || found === undefined ? null : found.toString();
};

const time = (t) => ({
  local: t.toString(),
  tzid: t.timezone || (t.zone ? t.zone.tzid : null),
  utc: t.toJSDate().toISOString(),
});

const events = root.getAllSubcomponents("vevent").map((vevent) => {
  const event = new ICAL.Event(vevent);
  const stamp = vevent.getFirstPropertyValue("dtstamp");
  return {
    uid: event.uid,
    sequence: event.sequence,
    summary: event.summary,
    description: event.description,
    location: event.location,
    status: value(vevent, "status"),
    url: value(vevent, "url"),
    start: time(event.startDate),
    end: time(event.endDate),
    dtstamp: stamp.toString(),
    dtstamp_utc: stamp.zone === ICAL.Timezone.utcTimezone,
    last_modified: value(vevent, "last-modified"),
    organizer: value(vevent, "organizer"),
    attendees: vevent.getAllProperties("attendee").map((p) => p.getFirstValue()),
  };
});

process.stdout.write(
  JSON.stringify({
    method: value(root, "method"),
    version: value(root, "version"),
    prodid: value(root, "prodid"),
    name: value(root, "name"),
    calname: value(root, "x-wr-calname"),
    refresh_interval: value(root, "refresh-interval"),
    published_ttl: value(root, "x-published-ttl"),
    timezones: zones,
    events,
  }),
);
