/** A request SGLang refuses as a whole before generating: HTTP 400 `{"error":{"message"}}`. */
import { InvalidInputError } from '../../protocol/errors.ts';

export class BadGenerateRequest extends InvalidInputError {}
