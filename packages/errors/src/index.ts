export { ApiError, type ApiErrorBody, type ApiErrorCode, apiErrors, toApiErrorBody } from './api.ts';
