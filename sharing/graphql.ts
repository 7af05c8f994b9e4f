// The sharing part of the GraphQL schema lives with the API modules (api/graphql/sharing.ts);
// api/graphql/index.ts loads optional modules from here.
export { graphqlModule } from '../api/graphql/sharing.ts';
