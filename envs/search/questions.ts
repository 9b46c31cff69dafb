/**
 * Two-hop questions over the world: each names one entity, asks for a fact of an entity that the
 * first one's article links to ("In which city was the founder of Vaila Motors born?": the company
 * article names the founder, the founder's article names the city). A question is kept only if
 * its answer does not appear in the first article, so the second article is needed.
 */
import { normalizeAnswer } from './answer-match.ts';
import { docId, type SearchDocument } from './documents.ts';
import type { SearchTask } from './task.ts';
import type { World } from './world.ts';

type Draft = Omit<SearchTask, 'id'>;

export function candidateQuestions(world: World): Draft[] {
  const person = new Map(world.people.map((p) => [p.name, p]));
  const city = new Map(world.cities.map((c) => [c.name, c]));
  const university = new Map(world.universities.map((u) => [u.name, u]));
  const river = new Map(world.rivers.map((r) => [r.name, r]));
  const riverAnswers = (name: string): string[] => [name, river.get(name)!.short];
  const drafts: Draft[] = [];
  for (const c of world.companies) {
    const founder = person.get(c.founder)!;
    const hq = city.get(c.headquarters)!;
    const viaFounder = { hops: [docId(c.name), docId(founder.name)] as [string, string], bridge: founder.name };
    const viaHq = { hops: [docId(c.name), docId(hq.name)] as [string, string], bridge: hq.name };
    drafts.push(
      { type: 'founder_birthplace', question: `In which city was the founder of ${c.name} born?`, answers: [founder.birthplace], ...viaFounder },
      { type: 'founder_birth_year', question: `In what year was the founder of ${c.name} born?`, answers: [String(founder.born)], ...viaFounder },
      { type: 'founder_university', question: `At which university did the founder of ${c.name} study?`, answers: [founder.university], ...viaFounder },
      { type: 'headquarters_river', question: `On which river lies the city where ${c.name} has its headquarters?`, answers: riverAnswers(hq.river), ...viaHq },
      { type: 'headquarters_country', question: `In which country is the city that hosts the headquarters of ${c.name}?`, answers: [hq.country], ...viaHq },
    );
  }
  for (const p of world.people) {
    const birthplace = city.get(p.birthplace)!;
    const school = university.get(p.university)!;
    const viaBirthplace = { hops: [docId(p.name), docId(birthplace.name)] as [string, string], bridge: birthplace.name };
    drafts.push(
      { type: 'birthplace_river', question: `Which river flows through the city where ${p.name} was born?`, answers: riverAnswers(birthplace.river), ...viaBirthplace },
      { type: 'birthplace_country', question: `In which country was ${p.name} born?`, answers: [birthplace.country], ...viaBirthplace },
      { type: 'university_city', question: `In which city is the university where ${p.name} studied?`, answers: [school.city], hops: [docId(p.name), docId(school.name)], bridge: school.name },
    );
  }
  return drafts;
}

/** True when no alias of the answer appears in the first document (the second is needed). */
export function needsBothDocuments(draft: Draft, docs: ReadonlyMap<string, SearchDocument>): boolean {
  const first = ` ${normalizeAnswer(docs.get(draft.hops[0])!.text)} `;
  return draft.answers.every((answer) => !first.includes(` ${normalizeAnswer(answer)} `));
}
