export declare function distIsFresh(root: string): boolean;
