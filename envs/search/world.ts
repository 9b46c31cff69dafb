/**
 * A fictional world, seeded: countries, rivers, cities, universities, people and companies, with
 * the links between them (a company's founder and headquarters, a person's birthplace and
 * university, a city's country and river). Every name is made from syllables, so no fact is
 * known to a model beforehand: the answers have to come from the corpus.
 */
import { mulberry32 } from '../../src/rollout/seeded-shuffle.ts';

export interface Country { kind: 'country'; name: string; capital: string; currency: string; sea: string }
export interface River { kind: 'river'; name: string; short: string; lengthKm: number; countries: string[]; sea: string }
export interface City { kind: 'city'; name: string; country: string; river: string; founded: number; population: number; landmark: string }
export interface University { kind: 'university'; name: string; city: string; founded: number; field: string; motto: string }
export interface Person {
  kind: 'person'; name: string; last: string; born: number; birthplace: string; movedTo: string; movedIn: number;
  university: string; field: string; profession: string; hobby: string;
}
export interface Company { kind: 'company'; name: string; founder: string; founded: number; headquarters: string; product: string; employees: number }
export interface World { countries: Country[]; rivers: River[]; cities: City[]; universities: University[]; people: Person[]; companies: Company[] }

const ONSETS = ['b', 'br', 'd', 'dr', 'f', 'g', 'h', 'k', 'kr', 'l', 'm', 'n', 'p', 'r', 's', 'st', 't', 'th', 'v', 'z', 'sh', 'tr', 'vel', 'or'];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ai', 'ea', 'io', 'ou'];
const CODAS = ['', '', 'n', 'r', 's', 'l', 'th', 'x', 'm', 'rd', 'sk', 'nt'];
const FIELDS = ['physics', 'chemistry', 'mathematics', 'medicine', 'architecture', 'economics', 'biology', 'engineering', 'linguistics', 'geology'];
const PROFESSIONS = ['engineer', 'chemist', 'economist', 'physician', 'architect', 'inventor', 'geologist', 'designer', 'entrepreneur', 'mathematician'];
const HOBBIES = ['sailing', 'chess', 'beekeeping', 'mountain climbing', 'the cello', 'astronomy', 'falconry', 'pottery', 'long-distance running', 'rare books'];
const LANDMARKS = ['its covered market', 'a twelve-arched stone bridge', 'the old observatory', 'its glass-roofed railway station', 'a lighthouse on the river mouth', 'the clock tower on its main square', 'its botanical garden', 'a ring of medieval walls'];
const CURRENCIES = ['crown', 'mark', 'florin', 'dinar', 'thaler', 'real', 'shilling', 'ducat'];
const MOTTOS = ['Light through labour', 'Measure twice', 'Knowledge is a river', 'Ask again', 'From doubt, proof', 'Steady hands, open minds'];
const COMPANY_KINDS: Array<[suffix: string, product: string]> = [
  ['Systems', 'industrial control systems'], ['Dynamics', 'wind turbines'], ['Works', 'steel bridges'], ['Labs', 'diagnostic instruments'],
  ['Foods', 'canned fish'], ['Motors', 'electric buses'], ['Textiles', 'waterproof fabrics'], ['Instruments', 'marine radios'],
  ['Robotics', 'warehouse robots'], ['Pharma', 'vaccines'], ['Shipping', 'river barges'], ['Optics', 'telescope lenses'],
];
const UNIVERSITY_FORMS = ['{} University', '{} Institute of Technology', '{} College', '{} Polytechnic'];

export interface WorldSizes { countries: number; rivers: number; cities: number; universities: number; people: number; companies: number }
export const DEFAULT_SIZES: WorldSizes = { countries: 8, rivers: 16, cities: 40, universities: 20, people: 90, companies: 60 };

/** A random source with the helpers the generator needs; every draw goes through one PRNG. */
export class Draw {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
}

/** Capitalized syllable words, never repeated anywhere in the world (names must identify one thing). */
class Names {
  private readonly used = new Set<string>();
  constructor(private readonly draw: Draw) {}
  word(minSyllables = 2, maxSyllables = 2): string {
    for (;;) {
      const count = this.draw.int(minSyllables, maxSyllables);
      let word = '';
      for (let i = 0; i < count; i++) word += this.draw.pick(ONSETS) + this.draw.pick(VOWELS) + (i === count - 1 ? this.draw.pick(CODAS) : '');
      if (word.length < 4 || word.length > 10 || this.used.has(word)) continue;
      this.used.add(word);
      return word[0]!.toUpperCase() + word.slice(1);
    }
  }
}

export function generateWorld(seed: number, sizes: WorldSizes = DEFAULT_SIZES): World {
  const draw = new Draw(seed);
  const names = new Names(draw);
  const seas = ['Varn Sea', 'Gulf of Ostrel', 'Pale Ocean', 'Sound of Marrow'];
  const countryNames = Array.from({ length: sizes.countries }, () => names.word(2, 3));
  const rivers: River[] = Array.from({ length: sizes.rivers }, () => {
    const short = names.word(1, 2);
    const sea = draw.pick(seas);
    const countries = draw.shuffle(countryNames).slice(0, draw.int(1, 3));
    return { kind: 'river', name: `${short} River`, short, lengthKm: draw.int(80, 1400), countries, sea };
  });
  const cities: City[] = Array.from({ length: sizes.cities }, () => {
    const river = draw.pick(rivers);
    return {
      kind: 'city', name: names.word(2, 3), country: draw.pick(river.countries), river: river.name,
      founded: draw.int(900, 1850), population: draw.int(12, 2400) * 1000, landmark: draw.pick(LANDMARKS),
    };
  });
  const countries: Country[] = countryNames.map((name, i) => {
    const own = cities.filter((c) => c.country === name);
    return { kind: 'country', name, capital: own.length > 0 ? draw.pick(own).name : draw.pick(cities).name, currency: CURRENCIES[i % CURRENCIES.length]!, sea: draw.pick(seas) };
  });
  const universities: University[] = Array.from({ length: sizes.universities }, () => ({
    kind: 'university', name: draw.pick(UNIVERSITY_FORMS).replace('{}', names.word(2, 2)), city: draw.pick(cities).name,
    founded: draw.int(1400, 1960), field: draw.pick(FIELDS), motto: draw.pick(MOTTOS),
  }));
  const people: Person[] = Array.from({ length: sizes.people }, () => {
    const last = names.word(2, 3);
    const born = draw.int(1925, 1980);
    const birthplace = draw.pick(cities).name;
    let movedTo = draw.pick(cities).name;
    while (movedTo === birthplace) movedTo = draw.pick(cities).name;
    return {
      kind: 'person', name: `${names.word(2, 2)} ${last}`, last, born, birthplace, movedTo, movedIn: born + draw.int(20, 35),
      university: draw.pick(universities).name, field: draw.pick(FIELDS), profession: draw.pick(PROFESSIONS), hobby: draw.pick(HOBBIES),
    };
  });
  const founders = draw.shuffle(people).slice(0, sizes.companies);
  const companies: Company[] = founders.map((founder) => {
    const [suffix, product] = draw.pick(COMPANY_KINDS);
    return {
      kind: 'company', name: `${names.word(2, 2)} ${suffix}`, founder: founder.name, founded: founder.born + draw.int(25, 45),
      headquarters: draw.pick(cities).name, product, employees: draw.int(3, 900) * 10,
    };
  });
  return { countries, rivers, cities, universities, people, companies };
}
