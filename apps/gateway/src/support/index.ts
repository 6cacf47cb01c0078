export { SupportDesk, adminTicketPath, userTicketPath, type Actor, type Thread, type RequestSummary } from './tickets.js';
export { Announcements, type AnnouncementInput, type AnnouncementLevel } from './announcements.js';
