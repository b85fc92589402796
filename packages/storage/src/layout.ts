/**
 * Where a video's files live in the bucket: one folder per tenant and job, so a tenant's data can be
 * listed, exported or purged by prefix, and a job's by its folder.
 */
export function videoFolder(tenant: string, videoId: string): string {
  return `tenants/${tenant}/videos/${videoId}/`;
}

export function videoObjectKey(tenant: string, videoId: string, file: string): string {
  return `${videoFolder(tenant, videoId)}${file}`;
}
