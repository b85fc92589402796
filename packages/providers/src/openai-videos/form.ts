import type { RenderRequest } from '../adapter.ts';

// The create body. Always multipart/form-data, file or not: the official SDK (v6.33+) sends nothing
// else, so it is the one encoding every gateway on this wire must accept (some new-api resellers read
// video creates only from forms), and one encoding means one behaviour to verify per gateway. Objects
// go as bracketed keys (`input_reference[image_url]`), as the SDK encodes them.
//
// The prompt goes out exactly as given: this wire has no client metadata field, and tagging the prompt
// with Reelay's id would change what is rendered. Reconciliation matches on the echoed fields instead.

export function createForm(request: RenderRequest): FormData {
  const form = new FormData();
  form.append('model', request.model);
  form.append('prompt', request.prompt);
  form.append('seconds', request.seconds);
  form.append('size', request.size);
  const reference = request.inputReference;
  if (reference === undefined) return form;
  if ('url' in reference) form.append('input_reference[image_url]', reference.url);
  else if ('fileId' in reference) form.append('input_reference[file_id]', reference.fileId);
  else {
    const image = new Blob([reference.data], { type: reference.contentType });
    form.append('input_reference', image, reference.filename);
  }
  return form;
}
