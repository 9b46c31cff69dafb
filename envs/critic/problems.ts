/**
 * Seeded arithmetic word problems with integer answers, from a handful of templates, each with a
 * plausible wrong answer (a slip a solver might make) for the scripted policy and validate cases.
 */
export interface WordProblem {
  question: string;
  answer: number;
  /** A plausible wrong answer (never equal to `answer`). */
  slip: number;
}

const NAMES = ['Ana', 'Ben', 'Chen', 'Dara', 'Eli', 'Fatima', 'Goran', 'Hana', 'Ivo', 'Jun'];
const ITEMS = ['apples', 'marbles', 'stickers', 'pencils', 'cards', 'shells'];

type Template = (n: (lo: number, hi: number) => number, pick: <T>(xs: readonly T[]) => T) => WordProblem;

const TEMPLATES: Template[] = [
  (n, pick) => {
    const [who, other, item] = [pick(NAMES), pick(NAMES), pick(ITEMS)];
    const a = n(5, 60);
    const b = n(2, 40);
    const c = n(1, a + b - 1);
    return { question: `${who} has ${a} ${item}, gets ${b} more, then gives ${c} to ${other === who ? 'a friend' : other}. How many ${item} does ${who} have now?`, answer: a + b - c, slip: a + b + c };
  },
  (n, pick) => {
    const item = pick(ITEMS);
    const a = n(3, 25);
    const b = n(2, 12);
    return { question: `A box holds ${a} ${item}. How many ${item} are in ${b} full boxes?`, answer: a * b, slip: a + b };
  },
  (n, pick) => {
    const [who, item] = [pick(NAMES), pick(ITEMS)];
    const each = n(2, 20);
    const friends = n(2, 9);
    return { question: `${who} shares ${each * friends} ${item} equally among ${friends} friends. How many ${item} does each friend get?`, answer: each, slip: each * friends - friends };
  },
  (n) => {
    const speed = n(20, 90);
    const hours = n(2, 6);
    const extra = n(5, 50);
    return { question: `A train travels ${speed} km each hour for ${hours} hours, then ${extra} km more. How many km does it travel in total?`, answer: speed * hours + extra, slip: speed * (hours + 1) + extra };
  },
  (n, pick) => {
    const who = pick(NAMES);
    const lunch = n(3, 30);
    const book = n(5, 40);
    const start = lunch + book + n(0, 80);
    return { question: `${who} had ${start} dollars, spent ${lunch} on lunch and ${book} on a book. How many dollars are left?`, answer: start - lunch - book, slip: start - lunch };
  },
  (n) => {
    const rows = n(3, 15);
    const seats = n(4, 20);
    const taken = n(1, rows * seats - 1);
    return { question: `A hall has ${rows} rows of ${seats} seats, and ${taken} seats are taken. How many seats are free?`, answer: rows * seats - taken, slip: rows + seats - taken > 0 && rows + seats - taken !== rows * seats - taken ? rows + seats - taken : rows * seats - taken + 1 };
  },
];

export function makeProblem(rand: () => number): WordProblem {
  const n = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const problem = pick(TEMPLATES)(n, pick);
  // A slip equal to the answer (a coincidence of the numbers) would not be wrong.
  return problem.slip === problem.answer ? { ...problem, slip: problem.answer + 1 } : problem;
}
