/**
 * The world written out as short encyclopedia articles. Each article states its own entity's
 * facts and names the entities it links to, but never the facts of those: a company's article
 * names its founder, not where the founder was born; a person's article names a birthplace, not
 * its river. So a question about a linked fact needs two articles.
 */
import { Draw, type City, type Company, type Country, type Person, type River, type University, type World } from './world.ts';

export interface SearchDocument {
  id: string;
  title: string;
  text: string;
}

export function docId(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

const thousands = (n: number): string => n.toLocaleString('en-US');
const article = (noun: string): string => `${/^[aeiou]/.test(noun) ? 'an' : 'a'} ${noun}`;

function person(p: Person, d: Draw): string {
  const opening = d.pick([
    `${p.name} (born ${p.born} in ${p.birthplace}) is ${article(p.profession)}.`,
    `${p.name} is ${article(p.profession)}, born in ${p.birthplace} in ${p.born}.`,
  ]);
  return [
    opening,
    d.pick([`${p.last} studied ${p.field} at ${p.university}.`, `After school, ${p.last} read ${p.field} at ${p.university}.`]),
    `In ${p.movedIn}, ${p.last} moved to ${p.movedTo}, where ${p.last} has lived since.`,
    d.pick([`Outside work, ${p.last} is known for a lifelong interest in ${p.hobby}.`, `${p.last} is a keen amateur of ${p.hobby}.`]),
  ].join(' ');
}

function company(c: Company, d: Draw): string {
  return [
    d.pick([`${c.name} is a maker of ${c.product}, founded in ${c.founded} by ${c.founder}.`, `${c.name} was founded by ${c.founder} in ${c.founded} to build ${c.product}.`]),
    d.pick([`The company has its headquarters in ${c.headquarters}.`, `Its head office is in ${c.headquarters}.`]),
    `It employs about ${thousands(c.employees)} people.`,
  ].join(' ');
}

function city(c: City, d: Draw): string {
  return [
    d.pick([`${c.name} is a city in ${c.country}, on the ${c.river}.`, `${c.name} is a city of ${c.country} that lies on the ${c.river}.`]),
    `It was founded in ${c.founded} and has about ${thousands(c.population)} inhabitants.`,
    `The city is known for ${c.landmark}.`,
  ].join(' ');
}

function university(u: University, d: Draw): string {
  return [
    d.pick([`${u.name} is a university in ${u.city}, founded in ${u.founded}.`, `Founded in ${u.founded}, ${u.name} is a university located in ${u.city}.`]),
    `It is best known for ${u.field}.`,
    `Its motto is "${u.motto}".`,
  ].join(' ');
}

function river(r: River): string {
  const through = r.countries.length === 1 ? r.countries[0] : `${r.countries.slice(0, -1).join(', ')} and ${r.countries.at(-1)}`;
  return `The ${r.name} (also called the ${r.short}) is a river about ${thousands(r.lengthKm)} km long. It flows through ${through} and empties into the ${r.sea}.`;
}

function country(c: Country): string {
  return `${c.name} is a country on the ${c.sea}. Its capital is ${c.capital}, and its currency is the ${c.name} ${c.currency}.`;
}

/** Every entity as one document, in a fixed order (so the corpus file is stable for a seed). */
export function writeDocuments(world: World, seed: number): SearchDocument[] {
  const d = new Draw(seed ^ 0x5eed);
  const docs: SearchDocument[] = [
    ...world.people.map((p) => ({ id: docId(p.name), title: p.name, text: person(p, d) })),
    ...world.companies.map((c) => ({ id: docId(c.name), title: c.name, text: company(c, d) })),
    ...world.cities.map((c) => ({ id: docId(c.name), title: c.name, text: city(c, d) })),
    ...world.universities.map((u) => ({ id: docId(u.name), title: u.name, text: university(u, d) })),
    ...world.rivers.map((r) => ({ id: docId(r.name), title: r.name, text: river(r) })),
    ...world.countries.map((c) => ({ id: docId(c.name), title: c.name, text: country(c) })),
  ];
  const ids = new Set(docs.map((doc) => doc.id));
  if (ids.size !== docs.length) throw new Error('generator bug: two documents share an id');
  return docs.sort((a, b) => a.id.localeCompare(b.id));
}
